"""The jobs and channels lists are kept per process and answered again without a query, and
every change to the owner's rows shows in the very next answer (core.kept_responses)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from channels_app.services.grants import channel_mark_needs_reauth
from tests.factories import ChannelFactory, JobFactory
from tests.realtime.conftest import instant_provider  # noqa: F401 - a fixture
from uploads.models import Job, JobStatus, WaitingReason
from uploads.services.pipeline import run_job
from uploads.services.recovery import jobs_recover_and_collect_due

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

LISTS = ["/api/v1/jobs", "/api/v1/channels"]


def _fresh(api, settings, path: str) -> bytes:
    """The list as it is built now, without any kept answer."""
    kept = settings.LIST_CACHE_TTL
    settings.LIST_CACHE_TTL = timedelta(0)
    try:
        return api.get(path).content
    finally:
        settings.LIST_CACHE_TTL = kept


@pytest.mark.parametrize("path", LISTS)
def test_a_list_asked_again_is_the_same_answer_without_a_query(
    api, channel, path, django_assert_num_queries
):
    JobFactory(channel=channel)
    first = api.get(path)

    with django_assert_num_queries(0):
        again = api.get(path)

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    for header in ("Content-Type", "Allow", "Vary"):
        assert again.headers.get(header) == first.headers.get(header)


def _title(job: Job) -> None:
    job.title = "renamed by save"
    job.save()


JOB_CHANGES = {
    "create": lambda job: JobFactory(channel=job.channel),
    "save": _title,
    "update of the owner's rows": lambda job: (
        Job.objects.of_owner(job.user_id).filter(pk=job.pk).update(title="renamed, owner named")
    ),
    "update, owner not named": lambda job: Job.objects.filter(pk=job.pk).update(progress=42),
    "delete": lambda job: job.delete(),
    "queryset delete": lambda job: Job.objects.filter(pk=job.pk).delete(),
    "bulk create": lambda job: Job.objects.bulk_create(
        [Job(user=job.user, channel=job.channel, platform=job.platform, title="bulk")]
    ),
    "bulk update": lambda job: Job.objects.bulk_update(
        [Job(pk=job.pk, user_id=job.user_id, title="bulk renamed")], ["title"]
    ),
    "its channel deleted (the job keeps no channel)": lambda job: job.channel.delete(),
}


@pytest.mark.parametrize("change", JOB_CHANGES.values(), ids=JOB_CHANGES.keys())
def test_every_change_to_the_jobs_shows_in_the_next_answer(api, channel, settings, change):
    job = JobFactory(channel=channel)
    before = api.get("/api/v1/jobs").content

    change(job)
    after = api.get("/api/v1/jobs").content

    assert after != before
    assert after == _fresh(api, settings, "/api/v1/jobs")


CHANNEL_CHANGES = {
    "connect": lambda channel: ChannelFactory(user=channel.user, platform="soundcloud"),
    "needs re-authorization (update of the owner's rows)": lambda channel: (
        channel_mark_needs_reauth(channel=channel)
    ),
    "refresh through the API": None,  # below: POST .../refresh
    "delete": lambda channel: channel.delete(),
}


@pytest.mark.parametrize("change", CHANNEL_CHANGES.keys())
def test_every_change_to_the_channels_shows_in_the_next_answer(api, user, settings, change):
    channel = ChannelFactory(user=user, platform="deezer", refresh_token="")
    before = api.get("/api/v1/channels").content

    if CHANNEL_CHANGES[change] is None:
        assert api.post(f"/api/v1/channels/{channel.pk}/refresh").status_code == 200
    else:
        CHANNEL_CHANGES[change](channel)
    after = api.get("/api/v1/channels").content

    assert after != before
    assert after == _fresh(api, settings, "/api/v1/channels")


def test_a_job_canceled_through_the_api_shows_canceled(api, channel):
    job = JobFactory(channel=channel)
    assert api.get("/api/v1/jobs").json()["results"][0]["status"] == "QUEUED"

    assert api.post(f"/api/v1/jobs/{job.pk}/cancel").status_code == 200

    assert api.get("/api/v1/jobs").json()["results"][0]["status"] == "CANCELED"


def test_one_users_list_is_never_another_users(client_for, user, other_user, channel):
    JobFactory(channel=channel)
    assert client_for(user).get("/api/v1/jobs").json()["count"] == 1

    assert client_for(other_user).get("/api/v1/jobs").json()["count"] == 0


def test_each_page_and_filter_is_kept_apart(api, channel):
    for _ in range(3):
        JobFactory(channel=channel)
    whole = api.get("/api/v1/jobs").json()

    first, second = (api.get(f"/api/v1/jobs?pageSize=2&page={n}").json() for n in (1, 2))

    assert [len(page["results"]) for page in (whole, first, second)] == [3, 2, 1]
    assert api.get("/api/v1/jobs?status=SUCCEEDED").json()["count"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_running_job_retires_only_its_owners_lists(
    client_for,
    user,
    other_user,
    channel,
    django_assert_num_queries,
    instant_provider,  # noqa: F811
):
    # Given both users' lists kept, and a job of the first user
    job = JobFactory(channel=channel)
    mine, theirs = client_for(user), client_for(other_user)
    ChannelFactory(user=other_user)
    assert mine.get("/api/v1/jobs").json()["results"][0]["status"] == "QUEUED"
    theirs.get("/api/v1/channels")

    # When a worker runs the job (claim, progress, success: conditional updates)
    assert run_job(job_id=job.pk).status == JobStatus.SUCCEEDED

    # Then its owner sees it succeeded, and the other user's list is still answered as kept
    assert mine.get("/api/v1/jobs").json()["results"][0]["status"] == "SUCCEEDED"
    with django_assert_num_queries(0):
        assert theirs.get("/api/v1/channels").status_code == 200


def test_the_beats_pass_over_due_jobs_retires_only_their_owners_lists(
    client_for, user, other_user, channel, django_assert_num_queries
):
    # Given a due job of the first user and the other user's kept list
    due = JobFactory(channel=channel)
    theirs = client_for(other_user)
    ChannelFactory(user=other_user)
    theirs.get("/api/v1/channels")

    # When the beat's pass hands the due job out (touching its row)
    assert due.pk in jobs_recover_and_collect_due(every_due=True)

    # Then the other user's list is still answered as kept
    with django_assert_num_queries(0):
        assert theirs.get("/api/v1/channels").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_list_read_while_a_change_commits_elsewhere_shows_it_once_committed(api, channel):
    # Given another connection (another process, say) that has written a job, not yet committed
    written, read = threading.Event(), threading.Event()

    def writer() -> None:
        try:
            with transaction.atomic():
                JobFactory(channel=channel, title="committed later")
                written.set()
                read.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(timeout=10)

    # When the list is read meanwhile (and kept), then read again after the commit
    during = api.get("/api/v1/jobs").json()
    read.set()
    thread.join(timeout=10)
    after = api.get("/api/v1/jobs").json()

    # Then the answer read during the transaction does not outlive its commit
    assert during["count"] == 0
    assert [job["title"] for job in after["results"]] == ["committed later"]


def test_a_wait_that_ends_changes_the_list_by_itself(api, channel):
    until = timezone.now() + timedelta(seconds=1.5)
    JobFactory(channel=channel, waiting_reason=WaitingReason.RETRY, run_after=until)
    assert api.get("/api/v1/jobs").json()["results"][0]["waitingFor"]["reason"] == "retry"

    time.sleep((until - timezone.now()).total_seconds() + 0.1)

    assert api.get("/api/v1/jobs").json()["results"][0]["waitingFor"] is None


def test_a_change_made_outside_django_shows_within_the_lifetime(api, channel, settings):
    settings.LIST_CACHE_TTL = timedelta(seconds=1.5)
    JobFactory(channel=channel, title="before")
    kept_until = time.monotonic() + 1.5
    assert api.get("/api/v1/jobs").json()["results"][0]["title"] == "before"

    with connection.cursor() as cursor:
        cursor.execute("UPDATE uploads_job SET title = 'changed by SQL'")
    kept = api.get("/api/v1/jobs").json()["results"][0]["title"]
    time.sleep(kept_until - time.monotonic() + 0.1)

    assert kept == "before"  # what LIST_CACHE_TTL bounds
    assert api.get("/api/v1/jobs").json()["results"][0]["title"] == "changed by SQL"


def test_a_lifetime_of_zero_keeps_nothing(api, channel, settings, django_assert_num_queries):
    settings.LIST_CACHE_TTL = timedelta(0)
    api.get("/api/v1/channels")

    with django_assert_num_queries(1):
        assert api.get("/api/v1/channels").status_code == 200


def test_an_invalid_query_is_refused_every_time(api, channel):
    for _ in range(2):
        response = api.get("/api/v1/jobs?status=NOPE")
        assert response.status_code == 400
        assert response.json()["type"] == "validation_error"
