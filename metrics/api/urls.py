from django.urls import path

from metrics.api import views

urlpatterns = [
    path("metrics/overview", views.OverviewView.as_view(), name="metrics-overview"),
]
