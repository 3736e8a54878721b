from django.urls import path

from podcasts.api import views

urlpatterns = [
    path("<uuid:show_id>.xml", views.FeedView.as_view(), name="feed"),
    path(
        "<uuid:show_id>/media/<uuid:episode_id>.<slug:extension>",
        views.EpisodeMediaView.as_view(),
        name="episode-media",
    ),
]
