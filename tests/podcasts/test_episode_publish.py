"""episode_publish, the service the upload pipeline calls: facts from the file, refusals that
change nothing."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
import time_machine
from django.utils import timezone

from core.errors import InvalidInput, NotFound
from podcasts.models import Episode
from podcasts.services import episode_publish
from podcasts.tasks import episodes_publish_due_task
from podcasts.websub import MAX_ATTEMPTS

pytestmark = pytest.mark.django_db


def test_size_and_duration_come_from_the_stored_file(show, publish, media_root):
    episode = publish("facts", seconds=3.25)

    assert episode.media_size_bytes == (media_root / episode.media_key).stat().st_size
    assert episode.duration_ms == 3250
    assert episode.is_live
    assert episode.guid == str(episode.pk)


@pytest.mark.parametrize(
    ("content", "code"),
    [(None, "media_missing"), (b"this is not audio at all" * 40, "media_unreadable")],
)
def test_a_missing_or_unreadable_file_is_refused_and_creates_nothing(
    show, media_root, content, code
):
    key = "uploads/test/bad.wav"
    if content is not None:
        (media_root / key).parent.mkdir(parents=True)
        (media_root / key).write_bytes(content)

    with pytest.raises(InvalidInput) as refused:
        episode_publish(show_id=show.pk, media_key=key, media_type="audio/wav", title="Bad")

    assert refused.value.code == code
    assert not Episode.objects.exists()


def test_an_unknown_show_or_too_long_text_is_refused(show, stored_wav):
    key, _size = stored_wav("ok", seconds=1)

    with pytest.raises(NotFound):
        episode_publish(show_id=uuid4(), media_key=key, media_type="audio/wav", title="t")
    with pytest.raises(InvalidInput) as long_text:
        episode_publish(
            show_id=show.pk,
            media_key=key,
            media_type="audio/wav",
            title="t",
            description="é" * 2001,
        )

    assert long_text.value.attr == "description"
    assert not Episode.objects.exists()


def test_the_hub_ping_gives_up_after_its_attempts(show, publish, hub):
    hub.fail_next = 100

    episode = publish("unheard")

    assert episode.is_live
    assert len(hub.requests_to("/", "POST")) == MAX_ATTEMPTS


def test_the_beat_task_makes_due_episodes_live_once_and_pings_the_hub(
    show, publish, hub, django_capture_on_commit_callbacks
):
    start = timezone.now()
    scheduled = publish("beat", publish_at=start + timedelta(minutes=10))

    with (
        time_machine.travel(start + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert episodes_publish_due_task() == 0
    with (
        time_machine.travel(start + timedelta(minutes=11), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert episodes_publish_due_task() == 1
        assert episodes_publish_due_task() == 0

    scheduled.refresh_from_db()
    assert scheduled.is_live
    assert hub.pinged_urls() == [f"http://localhost:4000/feeds/{show.pk}.xml"]
