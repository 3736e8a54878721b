"""The catalogue of plans that ``seed_plans`` writes (the documented defaults)."""

from typing import Final, TypedDict

GIB: Final = 1024**3


class PlanSpec(TypedDict):
    name: str
    channel_limit: int
    upload_quota: int | None
    storage_limit_bytes: int | None
    requests_per_minute: int
    sort_order: int


FREE: Final = "free"

DEFAULT_PLANS: Final[dict[str, PlanSpec]] = {
    FREE: {
        "name": "Free",
        "channel_limit": 2,
        "upload_quota": 2,
        "storage_limit_bytes": 1 * GIB,
        "requests_per_minute": 60,
        "sort_order": 0,
    },
    "pro": {
        "name": "Pro",
        "channel_limit": 5,
        "upload_quota": 50,
        "storage_limit_bytes": 50 * GIB,
        "requests_per_minute": 300,
        "sort_order": 1,
    },
    "agency": {
        "name": "Agency",
        "channel_limit": 10,
        "upload_quota": None,
        "storage_limit_bytes": 500 * GIB,
        "requests_per_minute": 1200,
        "sort_order": 2,
    },
}

# Plans whose users may register their own Google Cloud projects (own OAuth client, own
# YouTube quota).
OWN_GOOGLE_PROJECT_PLANS: Final = frozenset({"agency"})

# Stripe subscription statuses in which a subscription grants its plan; any other (canceled,
# unpaid, past_due, incomplete, paused, ...) does not.
GRANTING_STATUSES: Final = frozenset({"active", "trialing"})
