from django.urls import path

from channels_app.api import views

google_projects = views.GoogleProjectViewSet.as_view({"get": "list", "post": "create"})
google_project = views.GoogleProjectViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)

urlpatterns = [
    path("platforms", views.PlatformListView.as_view(), name="platform-list"),
    path("channels", views.ChannelListView.as_view(), name="channel-list"),
    path("channels/connect", views.ChannelConnectView.as_view(), name="channel-connect"),
    path(
        "channels/connect/complete",
        views.ChannelConnectCompleteView.as_view(),
        name="channel-connect-complete",
    ),
    path("channels/refresh-all", views.ChannelRefreshAllView.as_view(), name="channel-refresh-all"),
    path("channels/<uuid:channel_id>", views.ChannelDetailView.as_view(), name="channel-detail"),
    path(
        "channels/<uuid:channel_id>/refresh",
        views.ChannelRefreshView.as_view(),
        name="channel-refresh",
    ),
    path("google-projects", google_projects, name="google-project-list"),
    path("google-projects/<uuid:project_id>", google_project, name="google-project-detail"),
]
