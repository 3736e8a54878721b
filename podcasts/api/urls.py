from django.urls import path

from podcasts.api import views

urlpatterns = [
    path("shows", views.ShowListView.as_view(), name="show-list"),
    path("shows/<uuid:show_id>", views.ShowDetailView.as_view(), name="show-detail"),
    path(
        "shows/<uuid:show_id>/episodes",
        views.ShowEpisodeListView.as_view(),
        name="show-episodes",
    ),
]
