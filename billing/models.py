from django.conf import settings
from django.db import models
from django.db.models import Q


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


class PlanUsage(models.Model):
    """A user's accepted uploads in one month (UTC). The row is the lock that guards the quota.

    ``uploads`` counts jobs that hold a slot (QUEUED, RUNNING, SUCCEEDED); a job that ends
    FAILED or CANCELED gives its slot back.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_usages"
    )
    period_start = models.DateField(help_text="First day of the month (UTC).")
    uploads = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period_start"], name="plan_usage_one_per_month"
            ),
            models.CheckConstraint(condition=Q(uploads__gte=0), name="plan_usage_uploads_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.period_start:%Y-%m}: {self.uploads}"


class StripeEventClaim(models.Model):
    """One row per Stripe event id whose processing committed: the claim that makes each event
    processed once.

    dj-stripe's ``Event.process`` checks for the event and then creates it; a copy delivered
    in between runs the handlers a second time. Inserting this row first, in the transaction
    that processes the event, makes a concurrent copy wait on the primary key and then find
    the event done (or, if the first attempt failed and rolled back, process it itself).
    """

    event_id = models.CharField(max_length=255, primary_key=True)
    claimed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.event_id
