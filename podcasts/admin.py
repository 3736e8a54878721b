from django.contrib import admin

from podcasts.models import Episode, Show


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "language", "category", "created_at"]
    search_fields = ["title", "user__email"]
    readonly_fields = ["podcast_guid"]


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    list_display = ["title", "show", "publish_at", "live_at"]
    list_filter = [("live_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "guid", "show__title"]
    readonly_fields = ["guid", "media_key", "media_size_bytes", "media_type", "duration_ms"]
