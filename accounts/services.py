"""Account writes: signup, login, JWT sessions, password reset, operator accounts."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.models import Group, Permission, update_last_login
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password

from accounts.models import PasswordResetToken, RefreshTokenRecord, User, UserManager
from billing.selectors import plan_default
from core.errors import InvalidInput, NotAuthenticated
from core.tasks import enqueue

logger = logging.getLogger(__name__)
# Events an operator may want to alert on (e.g. a replayed refresh token); never a token.
security_logger = logging.getLogger("gateway.security")

VIEWERS_GROUP = "Viewers"


class InvalidCredentials(NotAuthenticated):
    """Unknown email, wrong password or inactive account: one answer for all three."""

    default_code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("The email or password is incorrect.")


class InvalidRefreshToken(NotAuthenticated):
    default_code = "invalid_token"

    def __init__(self) -> None:
        super().__init__("The refresh token is invalid, expired or already used.")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


# --- signup and login ------------------------------------------------------------------


def user_signup(*, email: str, password: str, name: str = "") -> User:
    """Create a user on the free plan. Raises ``email_taken`` or Django's password errors."""
    email = UserManager.normalize_email(email)
    user = User(email=email, name=name.strip(), plan=plan_default())
    _password_validate(password=password, user=user)
    _email_ensure_free(email)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent signup won the race for this email
        raise _email_taken() from exc
    return user


def user_login(*, email: str, password: str) -> User:
    """The active user with these credentials, or :class:`InvalidCredentials`.

    Django's ModelBackend runs the password hasher for unknown emails too, so both
    refusals take the same time.
    """
    user = authenticate(email=UserManager.normalize_email(email), password=password)
    if user is None:
        raise InvalidCredentials()
    update_last_login(User, user)
    return user


def _password_validate(*, password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise DjangoValidationError({"password": exc.error_list}) from exc


def _email_ensure_free(email: str) -> None:
    if User.objects.filter(email__iexact=email).exists():
        raise _email_taken()


def _email_taken() -> InvalidInput:
    return InvalidInput(
        "An account with this email already exists.", code="email_taken", attr="email"
    )


# --- JWT sessions --------------------------------------------------------------------------
# A login starts a family of refresh tokens; each refresh uses the presented token up and
# issues the next one of the family. Only each token's jti is recorded (RefreshTokenRecord).


def session_start(*, user: User) -> TokenPair:
    """A new login: the first refresh token of a new family, and its access token."""
    return _session_issue(user=user, family=uuid.uuid4())


def session_refresh(*, refresh: str) -> TokenPair:
    """Rotate a refresh token: the given one is used up, a new pair of the same family is
    returned.

    The record is locked, so of two concurrent refreshes with the same token exactly one
    succeeds. A token that was already rotated is refused; presented more than
    ``JWT_REUSE_GRACE`` after its rotation it was stolen (or its holder's copy was), so its
    whole family ends, the newest token included, and a security event is logged.
    """
    with transaction.atomic():
        record = _live_record(refresh)
        if record is not None and record.user.is_active:
            record.rotated_at = timezone.now()
            record.save(update_fields=["rotated_at"])
            return _session_issue(user=record.user, family=record.family)
    # Raised outside the transaction: a family ended on reuse stays ended.
    raise InvalidRefreshToken()


def session_end(*, refresh: str) -> None:
    """Log out: every refresh token of this login stops working."""
    with transaction.atomic():
        record = _live_record(refresh)
        if record is not None:
            _family_end(record.family)
            return
    raise InvalidRefreshToken()


def sessions_end_all(*, user: User) -> int:
    """End every login of ``user``; returns how many refresh tokens were live."""
    return RefreshTokenRecord.objects.filter(
        user=user, rotated_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


def _session_issue(*, user: User, family: uuid.UUID) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    RefreshTokenRecord.objects.create(
        jti=refresh[jwt_settings.JTI_CLAIM],
        family=family,
        user=user,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _family_end(family: uuid.UUID) -> int:
    return RefreshTokenRecord.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _live_record(raw: str) -> RefreshTokenRecord | None:
    """The record of a valid refresh token (signed, unexpired, right iss/aud, issued since
    the user's password last changed), locked for the caller's transaction; ``None`` when
    the token was already rotated or revoked.

    A rotated token presented after the grace period ends its family here: the caller must
    commit before refusing. Any other bad token raises :class:`InvalidRefreshToken`.
    """
    try:
        token = RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidRefreshToken() from exc
    record = (
        RefreshTokenRecord.objects.select_related("user")
        .select_for_update(of=("self",))
        .filter(jti=token[jwt_settings.JTI_CLAIM])
        .first()
    )
    if record is None:
        raise InvalidRefreshToken()
    if token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(record.user.password):
        raise InvalidRefreshToken()
    if record.rotated_at is not None:
        _rotated_token_presented(record, since_rotation=timezone.now() - record.rotated_at)
    return record if record.is_live else None


def _rotated_token_presented(record: RefreshTokenRecord, *, since_rotation: timedelta) -> None:
    """Within ``JWT_REUSE_GRACE`` of its rotation a used-up token is an ordinary race (two
    tabs refreshing at once) and is only refused; later it is a replay, and ends the family."""
    if since_rotation <= settings.JWT_REUSE_GRACE:
        return
    ended = _family_end(record.family)
    security_logger.warning(
        "refresh token reuse: session family ended",
        extra={
            "event": "refresh_token_reuse",
            "user_id": str(record.user_id),
            "family": str(record.family),
            "seconds_since_rotation": int(since_rotation.total_seconds()),
            "tokens_revoked": ended,
        },
    )


# --- password reset --------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Start a reset for ``email`` in the background.

    The request only enqueues: whether the email belongs to an account (and the time it
    takes to write the token and send the message) is not visible to the caller.
    """
    from accounts.tasks import password_reset_email_send  # tasks import this module

    enqueue(password_reset_email_send, UserManager.normalize_email(email))


def password_reset_start(*, email: str) -> PasswordResetToken | None:
    """Issue a reset token for the active account of ``email`` and email the link.

    Earlier unused tokens of that user are discarded, so only the newest link works.
    Returns ``None`` (and sends nothing) when there is no such account.
    """
    user = User.objects.filter(email=UserManager.normalize_email(email), is_active=True).first()
    if user is None:
        return None
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        PasswordResetToken.objects.filter(user=user, used_at__isnull=True).delete()
        reset = PasswordResetToken.objects.create(
            user=user,
            token_hash=_token_hash(raw),
            created_at=now,
            expires_at=now + settings.PASSWORD_RESET_TTL,
        )
    _password_reset_email(user=user, raw_token=raw)
    logger.info("password reset email sent", extra={"user_id": str(user.pk)})
    return reset


@transaction.atomic
def password_reset_complete(*, token: str, password: str) -> User:
    """Set a new password with a reset token, then end every session of the user.

    The token must be known, unused and unexpired (else 400 ``invalid_token``); a weak
    password is refused before the token is used up.
    """
    reset = (
        PasswordResetToken.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    now = timezone.now()
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise InvalidInput(
            "The reset link is invalid, expired or already used.",
            code="invalid_token",
            attr="token",
        )
    user = reset.user
    _password_validate(password=password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    # This token and any other pending one of the user are spent.
    PasswordResetToken.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
    sessions_end_all(user=user)
    return user


def tokens_purge_expired() -> tuple[int, int]:
    """Delete expired refresh-token records and reset tokens.

    Safe at any time: an expired token is refused on its ``exp`` claim alone. Returns the
    numbers of refresh-token records and reset tokens deleted.
    """
    now = timezone.now()
    refresh_deleted, _ = RefreshTokenRecord.objects.filter(expires_at__lte=now).delete()
    reset_deleted, _ = PasswordResetToken.objects.filter(expires_at__lte=now).delete()
    return refresh_deleted, reset_deleted


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _password_reset_email(*, user: User, raw_token: str) -> None:
    query = urlencode({"token": raw_token})
    context = {
        "user": user,
        "reset_url": f"{settings.FRONTEND_BASE_URL}/reset-password?{query}",
        "valid_minutes": int(settings.PASSWORD_RESET_TTL.total_seconds() // 60),
    }
    subject = render_to_string("accounts/email/password_reset_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("accounts/email/password_reset.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("accounts/email/password_reset.html", context), "text/html"
    )
    message.send()


# --- operators ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OperatorResult:
    email: str
    role: str
    created: bool


@transaction.atomic
def operators_bootstrap(*, admin_email: str, viewer_email: str) -> list[OperatorResult]:
    """Apply ``ADMIN_EMAIL`` (superuser) and ``ADMIN_VIEWER_EMAIL`` (read-only staff).

    Idempotent. Existing accounts keep their password; new ones get an unusable password
    and set one through the forgot-password flow, so no password travels through the
    environment or the logs.
    """
    results = []
    if admin_email:
        user, created = _operator_get_or_create(admin_email)
        user.is_staff = user.is_superuser = user.is_active = True
        user.save(update_fields=["is_staff", "is_superuser", "is_active"])
        results.append(OperatorResult(email=user.email, role="superuser", created=created))
    if viewer_email:
        viewers = viewers_group_sync()
        user, created = _operator_get_or_create(viewer_email)
        user.is_staff = user.is_active = True
        user.is_superuser = False
        user.save(update_fields=["is_staff", "is_superuser", "is_active"])
        user.groups.add(viewers)
        results.append(OperatorResult(email=user.email, role="viewer", created=created))
    return results


def viewers_group_sync() -> Group:
    """The "Viewers" group, holding exactly the ``view_*`` permission of every model."""
    group, _ = Group.objects.get_or_create(name=VIEWERS_GROUP)
    group.permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return group


def _operator_get_or_create(email: str) -> tuple[User, bool]:
    email = UserManager.normalize_email(email)
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    user = User(email=email, plan=plan_default())
    user.set_unusable_password()
    user.save(force_insert=True)
    return user, True
