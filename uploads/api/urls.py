from django.urls import path

from uploads.api import views

urlpatterns = [
    path("upload", views.UploadView.as_view(), name="upload"),
    path("upload/presign", views.PresignView.as_view(), name="upload-presign"),
    path("upload/blob/<str:token>", views.AssetBlobView.as_view(), name="upload-blob"),
    path("status/<uuid:job_id>", views.JobStatusView.as_view(), name="job-status"),
    path("jobs", views.JobListView.as_view(), name="job-list"),
    path("jobs/<uuid:job_id>/cancel", views.JobCancelView.as_view(), name="job-cancel"),
    path("jobs/<uuid:job_id>/retry", views.JobRetryView.as_view(), name="job-retry"),
]
