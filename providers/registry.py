"""The ten platforms and the provider that implements each."""

from __future__ import annotations

from functools import cache

from providers.amazon_music.provider import AmazonMusicProvider
from providers.apple_music.provider import ApplePodcastsProvider
from providers.audiomack.provider import AudiomackProvider
from providers.base import Provider
from providers.deezer.provider import DeezerProvider
from providers.iheartradio.provider import IHeartRadioProvider
from providers.platforms import Platform
from providers.podchaser.provider import PodchaserProvider
from providers.soundcloud.provider import SoundCloudProvider
from providers.spotify.provider import SpotifyProvider
from providers.tunein.provider import TuneInProvider
from providers.youtube.provider import YouTubeProvider

_PROVIDER_CLASSES: tuple[type[Provider], ...] = (
    YouTubeProvider,
    SpotifyProvider,
    ApplePodcastsProvider,
    DeezerProvider,
    SoundCloudProvider,
    TuneInProvider,
    AmazonMusicProvider,
    IHeartRadioProvider,
    AudiomackProvider,
    PodchaserProvider,
)


@cache
def _providers() -> dict[str, Provider]:
    providers = {cls.platform.value: cls() for cls in _PROVIDER_CLASSES}
    missing = set(Platform.values) - set(providers)
    if missing:  # pragma: no cover - a programming error caught by the registry test
        raise RuntimeError(f"platforms without a provider: {sorted(missing)}")
    return providers


def get_provider(platform_id: str) -> Provider:
    """The provider for ``platform_id``; ``KeyError`` for an unknown id."""
    return _providers()[platform_id]


def all_providers() -> list[Provider]:
    """Every provider, in the order of the API's platform list (docs/api.md)."""
    providers = _providers()
    return [providers[platform.value] for platform in Platform]


def provider_replace(provider: Provider) -> None:
    """Serve ``provider`` for its platform from now on, in this process (a stand-in platform:
    the benchmark's instant provider replaces Audiomack's in each of its processes)."""
    _providers()[provider.platform.value] = provider
