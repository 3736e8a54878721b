"""Enclosure URLs from local storage: GET, HEAD and byte ranges, and only for live episodes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from podcasts.api.enclosures import RangeNotSatisfiable, byte_range

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(show, publish, media_root):
    episode = publish("live", seconds=1.0)
    content = (media_root / episode.media_key).read_bytes()
    return episode, content, f"/feeds/{show.pk}/media/{episode.pk}.wav"


def test_a_get_answers_the_whole_file_with_its_exact_length_and_type(live):
    episode, content, url = live

    response = Client().get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Length"] == str(len(content)) == str(episode.media_size_bytes)
    assert response["Content-Type"] == "audio/wav"
    assert response["Accept-Ranges"] == "bytes"


def test_head_answers_the_headers_of_the_whole_file_without_a_body(live):
    _episode, content, url = live

    response = Client().head(url)

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(len(content))
    assert response["Content-Type"] == "audio/wav"


def test_a_range_answers_206_with_exactly_those_bytes(live):
    _episode, content, url = live

    response = Client().get(url, HTTP_RANGE="bytes=100-199")

    assert response.status_code == 206
    assert b"".join(response.streaming_content) == content[100:200]
    assert response["Content-Length"] == "100"
    assert response["Content-Range"] == f"bytes 100-199/{len(content)}"


def test_a_range_past_the_end_answers_416_with_the_size(live):
    _episode, content, url = live

    response = Client().get(url, HTTP_RANGE=f"bytes={len(content)}-{len(content) + 99}")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(content)}"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", (0, 0)),
        ("bytes=100-", (100, 999)),
        ("bytes=900-5000", (900, 999)),
        ("bytes=-10", (990, 999)),
        ("bytes=-5000", (0, 999)),
        ("", None),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        ("bytes=10-5", None),
    ],
)
def test_range_headers_are_read_as_rfc_9110_says(header, expected):
    assert byte_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=-0"])
def test_unsatisfiable_ranges(header):
    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, 1000)


def test_media_of_a_scheduled_episode_or_anything_else_in_storage_is_not_served(
    show, publish, live
):
    scheduled = publish("later", publish_at=timezone.now() + timedelta(hours=1))
    episode, _content, _url = live

    for path in (
        f"/feeds/{show.pk}/media/{scheduled.pk}.wav",
        f"/feeds/{show.pk}/media/00000000-0000-0000-0000-000000000000.wav",
        f"/feeds/00000000-0000-0000-0000-000000000000/media/{episode.pk}.wav",
        f"/media/{episode.media_key}",
    ):
        assert Client().get(path).status_code == 404, path
        assert Client().head(path).status_code == 404, path
