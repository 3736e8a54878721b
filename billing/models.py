from django.db import models


class Plan(models.Model):
    """A subscription tier and the limits it grants. ``None`` means unlimited."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    channel_limit = models.PositiveIntegerField()
    upload_quota = models.PositiveIntegerField(null=True, blank=True, help_text="Uploads a month.")
    storage_limit_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    requests_per_minute = models.PositiveIntegerField()
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name
