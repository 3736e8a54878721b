"""Uploads to podcast directory channels become episodes of the show's hosted feed."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from channels_app.models import Channel
from podcasts.models import Episode
from tests.factories import ManualChannelFactory
from uploads.events import build_job_event
from uploads.models import Job, JobStatus
from uploads.tasks import jobs_dispatch_due

pytestmark = pytest.mark.django_db

# One MPEG-1 Layer III frame, 128 kbit/s, 44.1 kHz, silent: 39 of them are about a second.
MP3_FRAME = b"\xff\xfb\x90\x00" + bytes(413)


@pytest.fixture
def frames(monkeypatch) -> list[dict]:
    """Every job event as the socket of its owner receives it (``/ws/jobs`` frames)."""
    seen: list[dict] = []

    def record(job: Job) -> None:
        event = build_job_event(job)
        if event is not None:  # a state without an event in the contract sends nothing
            seen.append(event)

    monkeypatch.setattr("uploads.events.publish_job_event", record)
    return seen


def upload_mp3(api, *, seconds: int = 1, content_type: str = "audio/mpeg") -> str:
    """Presign and PUT a real MP3 into local storage, as a client does; its ``assetUrl``."""
    body = MP3_FRAME * (39 * seconds)
    presigned = api.post(
        "/api/v1/upload/presign",
        {"filename": "episode.mp3", "contentType": content_type, "sizeBytes": len(body)},
        format="json",
    ).json()
    path = presigned["uploadUrl"].split("localhost:4000", 1)[1]
    assert Client().put(path, data=body, content_type=content_type).status_code in (200, 201, 204)
    return presigned["assetUrl"]


def connect_directory(api, platform: str, show, **extra) -> dict:
    response = api.post(
        "/api/v1/channels/connect",
        {"platform": platform, "showId": str(show.pk), **extra},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def post_upload(api, channel_id: str, asset_url: str, **extra):
    return api.post(
        "/api/v1/upload",
        {"channelId": channel_id, "assetUrl": asset_url, "title": "Pilot", **extra},
        format="json",
    )


def feed_of(show) -> feedparser.FeedParserDict:
    response = Client().get(f"/feeds/{show.pk}.xml")
    assert response.status_code == 200
    return feedparser.parse(response.content)


def test_the_same_asset_to_the_spotify_and_apple_channels_of_a_show_is_one_episode(
    api, show, hub, frames, django_capture_on_commit_callbacks
):
    # Given a show listed (not yet) on Spotify and Apple Podcasts, and one uploaded MP3
    spotify = connect_directory(api, "spotify", show)
    apple = connect_directory(api, "apple_music", show)
    assert spotify["status"] == apple["status"] == "PENDING"
    asset_url = upload_mp3(api)

    # When the creator sends it to both channels (accepted while PENDING) and the jobs run
    with django_capture_on_commit_callbacks(execute=True):
        first = post_upload(api, spotify["id"], asset_url, description="The first one.")
    with django_capture_on_commit_callbacks(execute=True):
        second = post_upload(api, apple["id"], asset_url)

    # Then both jobs succeeded with the same episode, and the feed has it once
    assert first.status_code == second.status_code == 202
    jobs = [Job.objects.get(pk=r.json()["jobId"]) for r in (first, second)]
    episode = Episode.objects.get()
    feed_url = f"http://localhost:4000/feeds/{show.pk}.xml"
    for job in jobs:
        assert job.status == JobStatus.SUCCEEDED
        assert job.result == {"provider_id": episode.guid, "url": feed_url}
    feed = feed_of(show)
    assert [entry.id for entry in feed.entries] == [episode.guid]
    assert feed.entries[0].title == "Pilot"
    assert feed.entries[0].enclosures[0]["length"] == str(39 * len(MP3_FRAME))
    done = {f["jobId"] for f in frames if f["type"] == "job:done"}
    assert done == {str(job.pk) for job in jobs}
    assert hub.pinged_urls() == [feed_url]  # one episode went live once


def test_a_scheduled_feed_upload_goes_live_at_its_time_through_the_dispatcher(
    api, show, hub, frames, django_capture_on_commit_callbacks
):
    # Given an episode already live, and a second one scheduled an hour ahead
    channel = connect_directory(api, "spotify", show, providerChannelId="4rOoJ6Egrf8K2IrywzwOMk")
    with django_capture_on_commit_callbacks(execute=True):
        post_upload(api, channel["id"], upload_mp3(api), title="Live now")
    scheduled_at = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_upload(
            api,
            channel["id"],
            upload_mp3(api, seconds=2),
            title="Tomorrow's news",
            scheduledAt=scheduled_at.isoformat(),
        )
    job = Job.objects.get(pk=response.json()["jobId"])

    # When the dispatcher looks before the time: the job stays QUEUED, the feed unchanged
    with django_capture_on_commit_callbacks(execute=True):
        jobs_dispatch_due()
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert [e.title for e in feed_of(show).entries] == ["Live now"]
    pings_before = len(hub.pinged_urls())

    # When the time has passed and the dispatcher runs
    with time_machine.travel(scheduled_at + timedelta(seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            jobs_dispatch_due()
        feed = feed_of(show)

    # Then the episode is in the feed, dated at its time, the job SUCCEEDED with job:done
    job.refresh_from_db()
    assert [e.title for e in feed.entries] == ["Tomorrow's news", "Live now"]
    assert feed.entries[0].published_parsed[:6] == scheduled_at.utctimetuple()[:6]
    episode = Episode.objects.get(title="Tomorrow's news")
    assert job.status == JobStatus.SUCCEEDED
    assert job.started_at >= scheduled_at
    assert job.result == {"provider_id": episode.guid, "url": feed.feed.links[0]["href"]}
    assert frames[-1] == {
        "type": "job:done",
        "jobId": str(job.pk),
        "status": "SUCCEEDED",
        "progress": 100,
        "result": {"providerId": episode.guid, "url": f"http://localhost:4000/feeds/{show.pk}.xml"},
    }
    assert hub.pinged_urls()[pings_before:] == [f"http://localhost:4000/feeds/{show.pk}.xml"]


def test_a_feed_channel_without_a_show_refuses_uploads_409(api, user, show):
    # Given a Spotify listing recorded without a show (hosted elsewhere)
    channel = ManualChannelFactory(user=user)
    asset_url = upload_mp3(api)

    response = post_upload(api, str(channel.pk), asset_url)

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "upload_unsupported"
    assert not Job.objects.exists()
    assert not Episode.objects.exists()


def test_an_audiomack_upload_is_409_upload_unsupported(api, user):
    channel = ManualChannelFactory(user=user, platform="audiomack", provider_channel_id="artist")

    response = post_upload(api, str(channel.pk), upload_mp3(api))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "upload_unsupported"
    assert not Job.objects.exists()


def test_a_feed_upload_must_be_an_own_presigned_file_the_directory_plays(
    api, client_for, other_user, show
):
    tunein = connect_directory(api, "tunein", show)
    other_asset = upload_mp3(client_for(other_user))
    video = upload_mp3(api, content_type="video/mp4")

    link = post_upload(api, tunein["id"], "https://cdn.example.com/episode.mp3")
    foreign = post_upload(api, tunein["id"], other_asset)
    not_audio = post_upload(api, tunein["id"], video)  # TuneIn takes audio only

    assert [r.status_code for r in (link, foreign, not_audio)] == [400, 400, 400]
    assert [r.json()["errors"][0]["code"] for r in (link, foreign, not_audio)] == [
        "invalid_asset_url",
        "invalid_asset_url",
        "unsupported_media_type",
    ]
    assert not Job.objects.exists()


def test_a_deleted_show_leaves_the_listing_and_its_queued_job_fails(
    api, show, django_capture_on_commit_callbacks
):
    channel = connect_directory(api, "deezer", show)
    scheduled_at = timezone.now() + timedelta(hours=1)
    response = post_upload(
        api, channel["id"], upload_mp3(api), scheduledAt=scheduled_at.isoformat()
    )
    api.delete(f"/api/v1/shows/{show.pk}")

    with (
        time_machine.travel(scheduled_at + timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        jobs_dispatch_due()

    job = Job.objects.get(pk=response.json()["jobId"])
    assert job.status == JobStatus.FAILED
    assert job.error["code"] == "upload_unsupported"
    assert Channel.objects.get(pk=channel["id"]).show_id is None
