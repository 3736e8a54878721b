"""The S3 path end to end against an S3-compatible server on loopback (moto in server mode,
real HTTP, real boto3 and presigned URLs): a client uploads through presign, the pipeline's
asset reader reads it, it becomes an episode, and its enclosure answers a range request."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import requests
from django.test import Client

from core.errors import InvalidInput
from core.storage import _s3_client, get_storage
from podcasts.models import Episode
from podcasts.services import episode_publish
from tests.fakes.s3_server import s3_server
from tests.podcasts.conftest import write_wav
from uploads.asset_stream import asset_stream_open

pytestmark = pytest.mark.django_db

BUCKET = "gateway-media"


@pytest.fixture
def s3_storage(settings, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with s3_server() as endpoint:
        settings.STORAGE_URL = f"s3://{BUCKET}?endpoint_url={endpoint}&region=us-east-1"
        _s3_client.cache_clear()
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=BUCKET
        )
        yield endpoint
        _s3_client.cache_clear()


def test_presigned_upload_read_by_the_pipeline_published_and_served_by_range(
    s3_storage, auth_client, show, tmp_path, django_capture_on_commit_callbacks
):
    # given a real WAV file on the creator's machine
    local = tmp_path / "interview.wav"
    size = write_wav(local, seconds=2.0)
    content = local.read_bytes()

    # when the client presigns and PUTs it straight to the S3-compatible store
    presigned = auth_client.post(
        "/api/v1/upload/presign",
        {"filename": "interview.wav", "contentType": "audio/wav", "sizeBytes": size},
        format="json",
    ).json()
    assert presigned["uploadUrl"].startswith(f"{s3_storage}/{BUCKET}/")
    put = requests.put(
        presigned["uploadUrl"], data=content, headers=presigned["headers"], timeout=10
    )
    assert put.status_code == 200

    # then the pipeline's asset reader reads exactly those bytes from the store
    with asset_stream_open(presigned["assetUrl"]) as stream:
        assert stream.read() == content

    # when the asset becomes an episode of the show
    key = get_storage().key_for_asset_url(presigned["assetUrl"])
    with django_capture_on_commit_callbacks(execute=True):
        episode = episode_publish(
            show_id=show.pk, media_key=key, media_type="audio/wav", title="Interview"
        )

    # then size and duration were read from the object in the store
    assert episode.media_size_bytes == size
    assert episode.duration_ms == 2000

    # and its enclosure URL redirects to a presigned GET that answers ranges
    enclosure = f"/feeds/{show.pk}/media/{episode.pk}.wav"
    head = Client().head(enclosure)
    assert head.status_code == 200
    assert head["Content-Length"] == str(size)
    assert head["Content-Type"] == "audio/wav"

    redirect = Client().get(enclosure, HTTP_RANGE="bytes=100-199")
    assert redirect.status_code == 302
    location = redirect["Location"]
    assert location.startswith(f"{s3_storage}/{BUCKET}/{key}?")
    assert "Signature=" in location or "X-Amz-Signature=" in location

    ranged = requests.get(location, headers={"Range": "bytes=100-199"}, timeout=10)
    assert ranged.status_code == 206
    assert ranged.content == content[100:200]
    assert ranged.headers["Content-Range"] == f"bytes 100-199/{size}"

    # and without its signature the object is not reachable
    assert requests.get(location.split("?")[0], timeout=10).status_code == 403


def test_an_object_missing_from_the_store_is_refused_as_media_missing(s3_storage, show):
    with pytest.raises(InvalidInput) as refused:
        episode_publish(
            show_id=show.pk, media_key="uploads/nobody/none.wav", media_type="audio/wav", title="t"
        )

    assert refused.value.code == "media_missing"
    assert not Episode.objects.exists()
