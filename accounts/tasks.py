from celery import shared_task

from accounts import services


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
