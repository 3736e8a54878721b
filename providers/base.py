"""The interface every platform implements, and what its calls return.

One subclass per platform lives in ``providers/<platform>/``; ``providers.registry`` maps the
platform ids of docs/api.md to instances. Views, tasks and commands only talk to this interface.

Two ways to connect exist:

- :class:`OAuthProvider`: the platform has an OAuth 2 authorization-code flow (always with
  PKCE S256). The gateway keeps the refresh token, encrypted, and reads the account with it.
- :class:`ManualProvider`: the platform has no public API for creators (Audiomack). The
  creator types their profile or show id/URL, which is validated and normalised per platform.
- :class:`FeedDirectoryProvider`: a manual platform that lists podcasts by reading their RSS
  feed (Spotify, Apple Podcasts, ...). Publishing there means an episode going live in the
  show's feed that Gateway hosts; the upload pipeline does that through ``podcasts``, never
  through ``publish``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, ClassVar, Literal, Self

from providers.errors import PermanentProviderError
from providers.platforms import Platform

ProgressCallback = Callable[[int], None]
"""Called with the percentage done (0-100) as a publish advances."""

SessionCallback = Callable[[str], None]
"""Called with the platform's resumable session (a URI) as soon as the platform opens one, so
the caller keeps it for a retry; a provider without resumable sessions never calls it."""

GrantRotatedCallback = Callable[[str], None]
"""Called with the new refresh token as soon as a platform with single-use refresh tokens
(SoundCloud) issued one, before anything else can fail: the old token is spent from then on,
so the caller must store the new one at once or the grant is lost."""


ApiCallCallback = Callable[[str], None]
"""Called with the platform's API method (``videos.insert``, ``channels.list``) just before a
provider calls it, so the caller can charge the platform's quota first (see
:attr:`Provider.api_costs`). It raises ``QuotaExhaustedError`` to stop the call."""


def _grant_rotation_unexpected(refresh_token: str) -> None:
    raise RuntimeError("this publish was not given an on_grant_rotated callback")


def _uncharged(method: str) -> None:
    """The default :data:`ApiCallCallback`: nothing is charged."""


@dataclass(frozen=True)
class ApiCost:
    """What one call of a platform API method costs of the platform's daily quota."""

    units: int = 0
    uploads: int = 0
    """Calls counted in a bucket of their own (YouTube's ``videos.insert``)."""


@dataclass(frozen=True)
class PublishRequest:
    """Everything a platform needs to publish one upload, as plain values and an open stream.

    The caller (the upload pipeline) opened ``stream`` and decrypted the grant; the provider
    reads the stream (seekable, ``size_bytes`` long) and never closes it.
    """

    title: str
    description: str
    scheduled_at: datetime | None
    media_type: str
    size_bytes: int
    stream: BinaryIO
    refresh_token: str = field(repr=False)
    """The OAuth grant in clear (empty for platforms without one)."""
    resume_session: str = ""
    """The resumable session an earlier attempt saved through ``on_session``, if any."""
    on_grant_rotated: GrantRotatedCallback = field(
        default=_grant_rotation_unexpected, repr=False, compare=False
    )
    """Where a rotated refresh token goes (see :data:`GrantRotatedCallback`)."""
    before_call: ApiCallCallback = field(default=_uncharged, repr=False, compare=False)
    """Called before each platform API call (see :data:`ApiCallCallback`); a resumed upload
    session is not a new call."""


@dataclass(frozen=True)
class PublishResult:
    provider_id: str
    url: str


@dataclass(frozen=True)
class OAuthClientConfig:
    """An OAuth client (id and secret) a platform should act with instead of the server's own,
    e.g. a creator's own Google Cloud project, which has its own API quota."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class AccountSnapshot:
    """What an OAuth platform tells about the connected account.

    ``refresh_token`` is set when the platform issued a (new) refresh token: always after a
    code exchange, and after a refresh on platforms whose refresh tokens are single-use.
    """

    provider_channel_id: str
    display_name: str
    meta: dict[str, Any] = field(default_factory=dict)
    refresh_token: str | None = field(default=None, repr=False)


class Provider:
    """A platform. Subclasses set the class attributes and override what the platform allows."""

    platform: ClassVar[Platform]
    connect: ClassVar[Literal["oauth", "manual"]]
    uploads: ClassVar[bool] = False
    """Whether the gateway publishes to this platform (``publish`` is implemented, or for a
    :class:`FeedDirectoryProvider` the show's hosted feed carries the upload)."""
    description: ClassVar[str] = ""
    """One line for creators: how publishing works on this platform (``GET /platforms``)."""
    schedules_natively: ClassVar[bool] = False
    """Whether the platform publishes at a given time by itself (YouTube's ``publishAt``): the
    upload may then start up to ``UPLOAD_LEAD_TIME`` before ``scheduledAt``."""
    media_types: ClassVar[tuple[str, ...]] = ()
    title_max_length: ClassVar[int] = 255
    description_max_length: ClassVar[int] = 5000
    api_costs: ClassVar[Mapping[str, ApiCost]] = {}
    """The quota cost of each API method the provider calls, for platforms whose quota is
    shared by every creator of one deployment; a method not listed costs nothing."""

    @property
    def name(self) -> str:
        return self.platform.label

    def is_configured(self) -> bool:
        """Whether the settings this platform needs (OAuth client...) are present."""
        return True

    def upload_unsupported(self) -> PermanentProviderError:
        """The error for an upload to a platform that takes none through the gateway."""
        return PermanentProviderError(
            f"{self.name} does not accept uploads through an API.", code="upload_unsupported"
        )

    def publish(
        self,
        request: PublishRequest,
        *,
        on_progress: ProgressCallback,
        on_session: SessionCallback,
    ) -> PublishResult:
        """Publish ``request``; raise a ``ProviderError`` on failure.

        Must be safe to call again for the same upload after a crash: resume
        ``request.resume_session`` rather than publish twice.
        """
        raise self.upload_unsupported()


class OAuthProvider(Provider):
    """A platform connected through OAuth 2 authorization code + PKCE (S256).

    Every method that talks to the platform raises ``TransientProviderError`` for timeouts,
    429 and 5xx, ``GrantRevokedError`` when the grant is gone (``invalid_grant``), and
    ``PermanentProviderError`` for any other refusal. Tokens never appear in messages.
    """

    connect = "oauth"
    supports_revocation: ClassVar[bool] = False
    """Whether the platform has an endpoint that revokes a grant (called on disconnect)."""
    accepts_own_client: ClassVar[bool] = False
    """Whether a creator may connect through their own OAuth client (:meth:`with_client`)."""

    def with_client(self, client: OAuthClientConfig) -> Self:
        """This platform acting with ``client`` instead of the configured one: every call
        (consent, code exchange, refresh, uploads) then uses that client's id and secret.
        A grant belongs to the client that obtained it."""
        raise NotImplementedError(f"{self.name} takes no creator's own OAuth client")

    def authorization_url(self, *, state: str, code_verifier: str) -> str:
        """The consent page URL to send the user to."""
        raise NotImplementedError

    def exchange_code(self, *, code: str, code_verifier: str) -> AccountSnapshot:
        """Trade an authorization code for a grant and read the account it opens."""
        raise NotImplementedError

    def fetch_account(
        self, *, refresh_token: str, before_call: ApiCallCallback | None = None
    ) -> AccountSnapshot:
        """Read the account's current name, picture and figures with a stored grant
        (``before_call`` as in :attr:`PublishRequest.before_call`)."""
        raise NotImplementedError

    def revoke(self, *, refresh_token: str) -> bool:
        """Revoke the grant at the platform. Best effort: ``False`` when it could not."""
        raise NotImplementedError


class ManualProvider(Provider):
    """A platform the creator connects by typing their profile or show id, or its URL.

    ``id_patterns`` are tried in order against the trimmed input; the first match's ``id``
    group is the canonical listing id. ``listing_url`` builds the public page from that id.
    """

    connect = "manual"
    id_patterns: ClassVar[tuple[re.Pattern[str], ...]] = ()
    id_example: ClassVar[str] = ""
    listing_url_template: ClassVar[str] = ""
    submission_url: ClassVar[str] = ""
    """The page where the creator submits a feed or manages the profile."""

    def normalize_listing_id(self, value: str) -> str:
        """The canonical listing id in ``value`` (an id or a URL), or ``ValueError``."""
        candidate = value.strip()
        for pattern in self.id_patterns:
            match = pattern.fullmatch(candidate)
            if match:
                return match.group("id")
        raise ValueError(
            f"This is not a {self.name} id or link (expected something like {self.id_example})."
        )

    def listing_url(self, listing_id: str) -> str:
        return self.listing_url_template.format(id=listing_id)

    def meta_for(self, listing_id: str) -> dict[str, Any]:
        """What the channel's ``meta`` says about the listing (links for the creator)."""
        meta: dict[str, Any] = {"submission_url": self.submission_url}
        if listing_id:
            meta["listing_url"] = self.listing_url(listing_id)
        return meta


class FeedDirectoryProvider(ManualProvider):
    """A podcast directory that lists a show by reading its RSS feed; it has no upload API.

    The channel is the show's listing there: the creator submits the feed URL once at
    ``submission_url`` and records the listing id. An upload to the channel becomes an episode
    of the show in the feed Gateway hosts (the upload pipeline calls ``podcasts``), so
    ``publish`` is never called. Titles and descriptions follow the feed's limits (Apple's).
    """

    uploads = True
    title_max_length = 255
    description_max_length = 4000
