"""The instant provider: an Audiomack channel that publishes at once, for the queue benchmark.

Audiomack takes no uploads in the product (``AudiomackProvider.uploads = False``), so no other
benchmark section needs it. Under ``bench.settings`` it replaces Audiomack's provider in every
process that sets Django up (web workers, the Celery worker and its pool, the orchestrator),
through ``providers.registry.provider_replace``.
The pipeline still claims the job, opens its asset, records progress and success and publishes
the events; only the platform call costs nothing.
"""

from __future__ import annotations

from providers import registry
from providers.audiomack.provider import AudiomackProvider
from providers.base import ProgressCallback, PublishRequest, PublishResult, SessionCallback

INSTANT_PLATFORM = AudiomackProvider.platform.value


class InstantProvider(AudiomackProvider):
    uploads = True
    title_max_length = 100

    def publish(
        self,
        request: PublishRequest,
        *,
        on_progress: ProgressCallback,
        on_session: SessionCallback,
    ) -> PublishResult:
        on_progress(50)
        return PublishResult(provider_id="instant", url="https://audiomack.example/instant")


def instant_provider_register() -> None:
    registry.provider_replace(InstantProvider())
