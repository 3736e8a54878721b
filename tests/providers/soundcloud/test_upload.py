"""SoundCloud uploads against the local fake: PKCE, refresh-token rotation, a streamed
multipart ``POST /tracks`` with flat memory, and what a refused grant does to the channel."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

from channels_app.models import Channel, ChannelStatus
from channels_app.services.grants import channel_grant_decrypt
from core.storage import get_storage
from providers.errors import PermanentProviderError
from providers.registry import get_provider
from providers.streaming import BLOCK
from tests.factories import ChannelFactory
from tests.fakes.asset_server import write_random_file
from tests.fakes.http import FakeResponse
from tests.fakes.oauth import s256
from tests.providers.soundcloud.fake_soundcloud import CLIENT_ID, soundcloud_user
from uploads.models import Job, JobStatus, StoredAsset
from uploads.services.pipeline import run_job

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


@pytest.fixture
def soundcloud(fake_soundcloud):
    fake_soundcloud.add_account("artist", soundcloud_user(4242, "fake-artist"))
    return fake_soundcloud


@pytest.fixture
def sc_channel(user, soundcloud) -> Channel:
    """``user``'s SoundCloud channel holding a live (single-use) refresh token of the fake."""
    token = soundcloud.issue_grant(account="artist", client_id=CLIENT_ID)
    return ChannelFactory(
        user=user, platform="soundcloud", provider_channel_id="4242", refresh_token=token
    )


@pytest.fixture
def stored_audio(user, settings, tmp_path):
    """Put ``size`` random bytes into local storage as the user's uploaded MP3."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGE_URL = ""

    def store(size: int) -> tuple[str, str]:
        key = f"uploads/{user.pk}/{size}/song.mp3"
        path = Path(settings.MEDIA_ROOT) / key
        path.parent.mkdir(parents=True, exist_ok=True)
        sha = write_random_file(path, size)
        StoredAsset.objects.create(
            user=user,
            key=key,
            filename="song.mp3",
            content_type="audio/mpeg",
            size_bytes=size,
            uploaded_at=timezone.now(),
        )
        return get_storage().asset_url(key), sha

    return store


def submit(api, channel: Channel, asset_url: str) -> Job:
    response = api.post(
        "/api/v1/upload",
        {
            "channelId": str(channel.pk),
            "assetUrl": asset_url,
            "title": "Night Drive",
            "description": "Recorded live.",
        },
        format="json",
    )
    assert response.status_code == 202, response.json()
    return Job.objects.get(pk=response.json()["jobId"])


def stored_grant(channel: Channel) -> str:
    return channel_grant_decrypt(Channel.objects.get(pk=channel.pk))


def test_connect_sends_an_s256_challenge_and_only_the_matching_verifier_gets_a_grant(soundcloud):
    provider = get_provider("soundcloud")
    verifier = "v" * 64

    url = provider.authorization_url(state="signed-state", code_verifier=verifier)
    query = dict(parse_qsl(urlsplit(url).query))
    wrong_code = dict(parse_qsl(urlsplit(soundcloud.consent(url, account="artist")).query))["code"]
    right_code = dict(parse_qsl(urlsplit(soundcloud.consent(url, account="artist")).query))["code"]

    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == s256(verifier)
    with pytest.raises(PermanentProviderError) as refused:
        provider.exchange_code(code=wrong_code, code_verifier="w" * 64)
    assert refused.value.code == "invalid_grant"
    account = provider.exchange_code(code=right_code, code_verifier=verifier)
    assert account.provider_channel_id == "4242"
    assert account.refresh_token in soundcloud.live_refresh_tokens()


def test_a_20_mb_upload_streams_every_byte_once_with_flat_memory_and_rotates_the_grant(
    api, sc_channel, soundcloud, stored_audio, events, settings
):
    settings.UPLOAD_PROGRESS_INTERVAL = 0  # every block sent is reported, however fast
    # Given a 20 MB MP3 the user uploaded, and the channel's single-use refresh token
    size = 20 * 1000 * 1000
    asset_url, sha = stored_audio(size)
    first_token = stored_grant(sc_channel)
    job = submit(api, sc_channel, asset_url)

    # When a worker runs the job, with every Python allocation traced
    tracemalloc.start()
    try:
        outcome = run_job(job_id=job.pk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Then SoundCloud got one multipart request with every byte once, and the job has the track
    assert outcome.status == JobStatus.SUCCEEDED
    [track] = soundcloud.tracks
    assert track.account == "artist"
    assert track.fields == {
        "track[title]": "Night Drive",
        "track[description]": "Recorded live.",
        "track[sharing]": "public",
    }
    assert track.asset_content_type == "audio/mpeg"
    assert track.asset_filename.endswith(".mpeg")
    assert track.asset_bytes == size
    assert track.asset_sha256.hexdigest() == sha
    assert size < track.content_length < size + 2000  # a Content-Length, not chunked
    job.refresh_from_db()
    assert job.result == {
        "provider_id": str(track.track_id),
        "url": "https://soundcloud.com/fake-artist/night-drive",
    }
    # The worker never held the file: peak traced memory far below its 20 MB.
    print(f"\npeak traced memory during a 20 MB SoundCloud upload: {peak / MIB:.2f} MiB")
    assert peak < 4 * MIB
    progress_seen = [progress for _, progress in events]  # in the worker's order
    assert progress_seen == sorted(progress_seen)
    assert len(set(progress_seen)) >= size // BLOCK  # one report per block of the stream
    assert progress_seen[-1] == 100
    # The refresh rotated the single-use token, and the new one is the one stored
    new_token = stored_grant(sc_channel)
    assert new_token != first_token
    assert soundcloud.live_refresh_tokens() == [new_token]


def test_the_rotated_token_is_stored_before_a_failed_upload_and_the_retry_uses_it(
    api, sc_channel, soundcloud, stored_audio
):
    asset_url, _ = stored_audio(300_000)
    job = submit(api, sc_channel, asset_url)
    soundcloud.tracks_status = 503

    outcome = run_job(job_id=job.pk)

    assert outcome.status == JobStatus.QUEUED  # transient: retried later
    assert soundcloud.live_refresh_tokens() == [stored_grant(sc_channel)]
    soundcloud.tracks_status = None
    Job.objects.filter(pk=job.pk).update(run_after=None)

    assert run_job(job_id=job.pk).status == JobStatus.SUCCEEDED
    assert soundcloud.live_refresh_tokens() == [stored_grant(sc_channel)]
    assert Channel.objects.get(pk=sc_channel.pk).status == ChannelStatus.ACTIVE


@pytest.mark.parametrize(
    ("token_answer", "job_status", "code"),
    [
        (FakeResponse(503, "busy"), JobStatus.QUEUED, "provider_error"),
        (FakeResponse(429, {"error": "slow down"}), JobStatus.QUEUED, "provider_error"),
        (FakeResponse(400, {"error": "invalid_request"}), JobStatus.FAILED, "oauth_error"),
    ],
)
def test_a_failed_refresh_other_than_invalid_grant_keeps_the_token_and_the_channel(
    api, sc_channel, soundcloud, stored_audio, token_answer, job_status, code
):
    before = stored_grant(sc_channel)
    job = submit(api, sc_channel, stored_audio(1000)[0])
    soundcloud.route("POST", "/oauth/token", lambda request: token_answer)

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.status == job_status
    assert job.error["code"] == code
    assert stored_grant(sc_channel) == before
    assert Channel.objects.get(pk=sc_channel.pk).status == ChannelStatus.ACTIVE
    assert soundcloud.tracks == []


def test_a_revoked_grant_fails_the_job_and_the_channel_needs_reauth(
    api, sc_channel, soundcloud, stored_audio
):
    before = stored_grant(sc_channel)
    job = submit(api, sc_channel, stored_audio(1000)[0])
    soundcloud.revoke_account("artist")

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.status == JobStatus.FAILED
    assert job.error["code"] == "invalid_grant"
    assert Channel.objects.get(pk=sc_channel.pk).status == ChannelStatus.NEEDS_REAUTH
    assert stored_grant(sc_channel) == before  # never erased by a refusal
    assert soundcloud.tracks == []


def test_a_401_from_tracks_fails_the_job_and_the_channel_needs_reauth(
    api, sc_channel, soundcloud, stored_audio
):
    job = submit(api, sc_channel, stored_audio(1000)[0])
    soundcloud.tracks_status = 401

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.status == JobStatus.FAILED
    assert job.error["code"] == "grant_revoked"
    assert Channel.objects.get(pk=sc_channel.pk).status == ChannelStatus.NEEDS_REAUTH
    assert soundcloud.live_refresh_tokens() == [stored_grant(sc_channel)]
