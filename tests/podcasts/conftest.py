"""Fixtures of podcasts: a creator with a show, tiny real WAV files in local storage, a local
WebSub hub. Celery runs eagerly so the hub pings happen inside the test."""

from __future__ import annotations

import wave
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from podcasts.models import Episode, Show
from podcasts.services import episode_publish, show_create
from tests.fakes.websub_hub import FakeWebSubHub

SHOW_INPUT = {
    "title": "Night Shift",
    "description": "Conversations with people who work while the city sleeps.",
    "author": "Ada Creator",
    "ownerEmail": "ada@example.com",
    "imageUrl": "https://cdn.example.com/art/night-shift.jpg",
    "language": "en-us",
    "category": "Society & Culture > Documentary",
    "explicit": False,
}


def write_wav(path: Path, *, seconds: float, rate: int = 8000) -> int:
    """A real mono 8-bit PCM WAV of ``seconds``; returns its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = round(seconds * rate)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(bytes((i * 7) % 256 for i in range(frames)))
    return path.stat().st_size


@pytest.fixture(autouse=True)
def _eager_tasks(celery_eager) -> None:
    """The hub ping task runs in the test, not in a worker."""


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGE_URL = ""
    return settings.MEDIA_ROOT


@pytest.fixture
def hub(settings) -> Iterator[FakeWebSubHub]:
    fake = FakeWebSubHub()
    fake.start()
    settings.WEBSUB_HUB_URL = f"{fake.base_url}/"
    yield fake
    fake.stop()


@pytest.fixture
def show(user) -> Show:
    return show_create(
        user=user,
        title=SHOW_INPUT["title"],
        description=SHOW_INPUT["description"],
        author=SHOW_INPUT["author"],
        owner_email=SHOW_INPUT["ownerEmail"],
        image_url=SHOW_INPUT["imageUrl"],
        language=SHOW_INPUT["language"],
        category=SHOW_INPUT["category"],
        explicit=SHOW_INPUT["explicit"],
    )


@pytest.fixture
def stored_wav(media_root) -> Callable[..., tuple[str, int]]:
    """Put a WAV of ``seconds`` into local storage; return its key and size."""

    def store(name: str, *, seconds: float) -> tuple[str, int]:
        key = f"uploads/test/{name}.wav"
        return key, write_wav(media_root / key, seconds=seconds)

    return store


@pytest.fixture
def publish(show, stored_wav, django_capture_on_commit_callbacks) -> Callable[..., Episode]:
    """Store a WAV and publish it as an episode of ``show`` (after-commit work runs)."""

    def run(
        name: str, *, seconds: float = 1.0, publish_at: datetime | None = None, title: str = ""
    ) -> Episode:
        key, _size = stored_wav(name, seconds=seconds)
        with django_capture_on_commit_callbacks(execute=True):
            return episode_publish(
                show_id=show.pk,
                media_key=key,
                media_type="audio/wav",
                title=title or f"Episode {name}",
                description=f"All about {name}.",
                publish_at=publish_at,
            )

    return run
