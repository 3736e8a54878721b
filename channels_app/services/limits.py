"""The plan's channel limit, checked with the user's row locked (``SELECT ... FOR UPDATE``), so
two concurrent connects at the limit cannot both win."""

from __future__ import annotations

from accounts.models import User
from channels_app.models import Channel
from channels_app.selectors import channel_limit_for
from core.errors import Forbidden


def user_lock(user: User) -> User:
    """Lock the user's row for the rest of the transaction; the caller holds ``atomic``."""
    return User.objects.select_for_update(of=("self",)).get(pk=user.pk)


def channel_limit_ensure_room(locked_user: User) -> None:
    """Raise ``plan_limit_reached`` when one more channel would pass the plan's limit.

    Precondition: the caller holds the lock from :func:`user_lock`.
    """
    limit = channel_limit_for(locked_user)
    if Channel.objects.filter(user=locked_user).count() >= limit:
        raise Forbidden(f"Your plan allows {limit} connected channels.", code="plan_limit_reached")
