from django.urls import path

from operations.api import views

urlpatterns = [
    path("admin/stats", views.AdminStatsView.as_view(), name="admin-stats"),
]
