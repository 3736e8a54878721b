from django.urls import path

from webhooks.api import views

urlpatterns = [
    path("webhooks", views.EndpointListView.as_view(), name="webhook-list"),
    path("webhooks/<uuid:endpoint_id>", views.EndpointDetailView.as_view(), name="webhook-detail"),
    path(
        "webhooks/<uuid:endpoint_id>/deliveries",
        views.DeliveryListView.as_view(),
        name="webhook-deliveries",
    ),
]
