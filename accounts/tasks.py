import logging

from celery import shared_task
from django.conf import settings

from accounts import services
from accounts.models import UserManager
from core.tasks import enqueue
from core.throttles import SlidingWindow, identity_digest

logger = logging.getLogger(__name__)


# ignore_result: the email address is not copied into the results table.
# OSError covers SMTP failures (smtplib.SMTPException) and refused connections; a retry
# issues a fresh token, which also discards the one whose email never left.
@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def password_reset_email_send(email: str) -> None:
    """Issue a reset token and email it, if ``email`` belongs to an active account."""
    services.password_reset_start(email=email)


@shared_task(ignore_result=True)
def expired_tokens_purge() -> None:
    """Daily: forget refresh-token records and reset tokens that have expired."""
    services.tokens_purge_expired()


def password_reset_request(*, email: str) -> None:
    """Start a reset for ``email`` in the background (the view's use case; it lives beside its
    task because the task calls back into ``services``).

    The request only enqueues: whether the email belongs to an account (and the time it takes
    to write the token and send the message) is not visible to the caller. At most
    ``FORGOT_PASSWORD_LIMIT_PER_EMAIL`` requests per address go out, however many client
    addresses ask, so nobody can flood one inbox; requests over it are answered the same way
    and dropped.
    """
    email = UserManager.normalize_email(email)
    window = SlidingWindow("forgot-password-email", settings.FORGOT_PASSWORD_LIMIT_PER_EMAIL)
    if not window.hit(identity_digest(email.lower())).allowed:
        logger.info("password reset request dropped: per-email limit reached")
        return
    enqueue(password_reset_email_send, email)
