"""STAND-IN until the channels branch is merged (its registry replaces this file)."""

from __future__ import annotations

from functools import cache

from providers.base import Provider
from providers.platforms import Platform
from providers.youtube.provider import YouTubeProvider


@cache
def _providers() -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    for platform in Platform:
        if platform == Platform.YOUTUBE:
            providers[platform.value] = YouTubeProvider()
        else:
            providers[platform.value] = type(
                f"{platform.name}Provider", (Provider,), {"platform": platform, "connect": "manual"}
            )()
    return providers


def get_provider(platform_id: str) -> Provider:
    return _providers()[platform_id]
