"""The interface every platform implements, and what a publish returns.

One subclass per platform lives in ``providers/<platform>/``; ``providers.registry`` maps the
platform ids of API.md to instances. Views, tasks and commands only talk to this interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from providers.errors import PermanentProviderError
from providers.platforms import Platform

if TYPE_CHECKING:
    from channels_app.models import Channel
    from uploads.models import Job

ProgressCallback = Callable[[int], None]
"""Called with the percentage done (0-100) as a publish advances."""


@dataclass(frozen=True)
class PublishResult:
    provider_id: str
    url: str


class Provider:
    """A platform. Subclasses set the class attributes and override what the platform allows."""

    platform: ClassVar[Platform]
    connect: ClassVar[Literal["oauth", "manual"]]
    uploads: ClassVar[bool] = False
    media_types: ClassVar[tuple[str, ...]] = ()
    title_max_length: ClassVar[int] = 255
    description_max_length: ClassVar[int] = 5000

    @property
    def name(self) -> str:
        return self.platform.label

    def is_configured(self) -> bool:
        """Whether the settings this platform needs (OAuth client...) are present."""
        return True

    def publish(
        self, *, channel: Channel, job: Job, on_progress: ProgressCallback
    ) -> PublishResult:
        """Upload ``job``'s asset to ``channel``; raise a ``ProviderError`` on failure.

        Must be safe to call again for the same job after a crash (resume, don't duplicate).
        """
        raise PermanentProviderError(
            f"{self.name} does not accept uploads through an API.", code="upload_unsupported"
        )
