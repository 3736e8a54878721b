from celery import shared_task

from accounts import services


# ignore_result: the email address is not copied into the results table.
@shared_task(ignore_result=True)
def password_reset_email_send(email: str) -> None:
    """Issue a reset token and email it, if ``email`` belongs to an active account."""
    services.password_reset_start(email=email)
