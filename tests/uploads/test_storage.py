"""Presign and our own storage: local signed PUT (embedded) and S3 presigned URLs."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.storage import _s3_client
from tests.factories import UserFactory
from uploads.models import Job, JobStatus, StoredAsset
from uploads.selectors import storage_used_bytes
from uploads.services.pipeline import run_job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGE_URL = ""
    return settings.MEDIA_ROOT


def _presign(client, **overrides):
    body = {"filename": "My Video.mp4", "contentType": "video/mp4", "sizeBytes": 1000, **overrides}
    return client.post("/api/v1/upload/presign", body, format="json")


def _put(url: str, body: bytes, content_type: str = "video/mp4"):
    path = url.split("localhost:4000", 1)[1]
    return Client().put(path, data=body, content_type=content_type)


def test_presign_returns_a_signed_put_url_of_our_own(auth_client, user, settings):
    response = _presign(auth_client)

    assert response.status_code == 200
    body = response.json()
    asset = StoredAsset.objects.get()
    assert body["uploadUrl"].startswith("http://localhost:4000/api/v1/upload/blob/")
    assert body["method"] == "PUT"
    assert body["headers"] == {"Content-Type": "video/mp4"}
    assert body["assetUrl"] == f"http://localhost:4000/media/{asset.key}"
    assert asset.key.startswith(f"uploads/{user.pk}/")
    assert asset.key.endswith("/My-Video.mp4")
    assert asset.size_bytes == 1000
    assert asset.uploaded_at is None


def test_the_signed_put_stores_the_file_and_the_asset_can_be_uploaded(
    auth_client, user, channel, media_root, fake_youtube, django_capture_on_commit_callbacks
):
    content = bytes(range(256)) * 4 + b"tail"
    presigned = _presign(auth_client, sizeBytes=len(content)).json()

    put = _put(presigned["uploadUrl"], content)

    assert put.status_code == 200
    asset = StoredAsset.objects.get()
    assert asset.uploaded_at is not None
    assert (media_root / asset.key).read_bytes() == content

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            "/api/v1/upload",
            {"channelId": str(channel.pk), "assetUrl": presigned["assetUrl"], "title": "t"},
            format="json",
        )
    assert response.status_code == 202
    job = Job.objects.get()
    run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert fake_youtube.session.stored == len(content)


def test_an_unfinished_or_foreign_upload_is_not_an_asset(auth_client, client_for, channel):
    unfinished = _presign(auth_client).json()["assetUrl"]
    other = client_for(UserFactory())
    foreign_presign = _presign(other, sizeBytes=3).json()
    _put(foreign_presign["uploadUrl"], b"abc")

    for url in (unfinished, foreign_presign["assetUrl"]):
        response = auth_client.post(
            "/api/v1/upload",
            {"channelId": str(channel.pk), "assetUrl": url, "title": "t"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "invalid_asset_url"
    assert not Job.objects.exists()


@pytest.mark.parametrize("content_type", ["text/html", "image/png", "application/x-sh"])
def test_presign_refuses_types_the_platforms_do_not_take(auth_client, content_type):
    response = _presign(auth_client, contentType=content_type)

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "contentType"
    assert not StoredAsset.objects.exists()


def test_presign_refuses_what_exceeds_the_plans_storage(auth_client):
    assert _presign(auth_client, sizeBytes=1024**3 - 1000).status_code == 200

    response = _presign(auth_client, sizeBytes=1001)

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "storage_limit_reached"
    assert StoredAsset.objects.count() == 1


def test_an_expired_presign_whose_file_never_came_frees_its_storage(auth_client, settings):
    assert _presign(auth_client, sizeBytes=1024**3 - 1000).status_code == 200
    StoredAsset.objects.update(created_at=timezone.now() - settings.PRESIGN_TTL)

    response = _presign(auth_client, sizeBytes=1024**3 - 1000)

    assert response.status_code == 200
    assert storage_used_bytes(user=StoredAsset.objects.first().user) == 1024**3 - 1000


def test_an_upload_url_works_once_and_never_reaches_the_logs(auth_client, media_root, caplog):
    presigned = _presign(auth_client, sizeBytes=3).json()
    token = presigned["uploadUrl"].rsplit("/", 1)[1]
    assert _put(presigned["uploadUrl"], b"abc").status_code == 200

    with caplog.at_level(logging.INFO):
        again = _put(presigned["uploadUrl"], b"xyz")

    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "already_uploaded"
    assert (media_root / StoredAsset.objects.get().key).read_bytes() == b"abc"
    formatted = [logging.Formatter().format(record) for record in caplog.records]
    formatted += [str(getattr(record, "request", "")) for record in caplog.records]
    assert any("/api/v1/upload/blob/<redacted>" in line for line in formatted)
    assert not any(token in line for line in formatted)


def test_a_body_of_another_size_is_refused_and_not_kept(auth_client, media_root):
    presigned = _presign(auth_client, sizeBytes=10).json()

    short = _put(presigned["uploadUrl"], b"123")
    long = _put(presigned["uploadUrl"], b"12345678901")

    assert short.status_code == long.status_code == 400
    assert StoredAsset.objects.get().uploaded_at is None
    assert not any(path.is_file() for path in media_root.rglob("*"))


def test_a_forged_or_expired_token_is_403(auth_client, settings):
    presigned = _presign(auth_client, sizeBytes=3).json()

    forged = _put(presigned["uploadUrl"][:-3] + "xyz", b"abc")
    settings.PRESIGN_TTL = timedelta(seconds=-1)
    expired = _put(presigned["uploadUrl"], b"abc")

    assert forged.status_code == expired.status_code == 403
    assert forged.json()["errors"][0]["code"] == "invalid_token"
    assert StoredAsset.objects.get().uploaded_at is None


def test_a_type_other_than_presigned_is_refused(auth_client):
    presigned = _presign(auth_client, sizeBytes=3).json()

    response = _put(presigned["uploadUrl"], b"abc", content_type="audio/mpeg")

    assert response.status_code == 400


def test_s3_storage_presigns_with_boto3(auth_client, user, settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    settings.STORAGE_URL = "s3://media?endpoint_url=http://127.0.0.1:9000&region=eu-west-1"
    _s3_client.cache_clear()

    body = _presign(auth_client).json()

    key = StoredAsset.objects.get().key
    assert body["uploadUrl"].startswith(f"http://127.0.0.1:9000/media/{key}?")
    assert "X-Amz-Signature=" in body["uploadUrl"]
    assert body["assetUrl"] == f"http://127.0.0.1:9000/media/{key}"
    _s3_client.cache_clear()


def test_a_large_body_is_streamed_to_disk(auth_client, media_root):
    size = 5 * 1024 * 1024 + 3  # above Django's in-memory request body limit
    presigned = _presign(auth_client, sizeBytes=size).json()

    response = _put(presigned["uploadUrl"], b"\x01" * size)

    assert response.status_code == 200
    assert (media_root / StoredAsset.objects.get().key).stat().st_size == size
    assert storage_used_bytes(user=StoredAsset.objects.get().user) == size
