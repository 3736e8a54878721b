"""What a platform project has spent of its daily API quota."""

from __future__ import annotations

from django.db import models


class QuotaLedger(models.Model):
    """One platform project's spend on one quota day (YouTube: a Google Cloud project and a
    Pacific day). Written only by ``quotas.services``, with conditional updates.

    The budget the last charge was checked against is kept next to the spend, so operators
    see one against the other without the ledger knowing where budgets come from.

    A row whose ``share_of`` names a project is not a project: it is one creator's share of
    that project's uploads (``project_key`` is then the share's own key), charged in the same
    transaction as the project's row.
    """

    project_key = models.CharField(max_length=200)
    share_of = models.CharField(
        max_length=200, blank=True, default="", help_text="The project this share is a part of."
    )
    day = models.DateField()
    uploads_spent = models.PositiveIntegerField(default=0)
    units_spent = models.PositiveIntegerField(default=0)
    uploads_budget = models.PositiveIntegerField(default=0)
    units_budget = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "project_key"]
        constraints = [
            models.UniqueConstraint(fields=["project_key", "day"], name="quota_ledger_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.project_key} on {self.day}"
