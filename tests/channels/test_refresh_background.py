"""refresh-all (a task per channel), the daily stale refresh, refresh_channels, the admin."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest.mock import patch

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from channels_app import tasks
from channels_app.errors import ProviderUnavailable
from channels_app.models import Channel, ChannelStatus, OAuthState
from channels_app.services.refresh import channel_refresh
from core.tasks import background
from quotas.models import QuotaLedger
from tests.factories import ChannelFactory, ManualChannelFactory, UserFactory
from tests.providers.youtube.fake_google import CLIENT_ID, google_api_error, youtube_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def youtube_channel_of(fake_google):
    """A YouTube channel of ``user`` whose grant is live at the fake Google."""

    def make(user, account: str, **fields) -> Channel:
        channel_id = f"UC{account.split('@')[0]:0>22}"[:24]
        fake_google.add_account(account, youtube_channel(channel_id, title=f"{account} tube"))
        token = fake_google.issue_grant(account=account, client_id=CLIENT_ID)
        return ChannelFactory(
            user=user,
            provider_channel_id=channel_id,
            refresh_token=token,
            **fields,
        )

    return make


def test_refresh_all_queues_one_task_per_channel_and_they_run(
    api, user, youtube_channel_of, celery_eager, django_capture_on_commit_callbacks, monkeypatch
):
    mine = [youtube_channel_of(user, "a@gmail.com"), ManualChannelFactory(user=user)]
    theirs = ManualChannelFactory(user=UserFactory())
    sent: list[str] = []
    real_delay = tasks.channel_refresh_task.delay
    monkeypatch.setattr(
        tasks.channel_refresh_task,
        "delay",
        lambda channel_id: sent.append(channel_id) or real_delay(channel_id),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/channels/refresh-all")

    assert response.status_code == 202
    assert response.json() == {"queued": 2}
    assert sorted(sent) == sorted(str(c.id) for c in mine)
    youtube = Channel.objects.get(pk=mine[0].pk)
    assert youtube.display_name == "a@gmail.com tube"
    assert youtube.last_refreshed_at is not None
    assert Channel.objects.get(pk=theirs.pk).last_refreshed_at is None


def test_refresh_all_answers_202_when_a_platform_is_down(
    api, user, youtube_channel_of, fake_google, celery_eager, django_capture_on_commit_callbacks
):
    channel = youtube_channel_of(user, "a@gmail.com")
    before = Channel.objects.values().get(pk=channel.pk)
    fake_google.route(
        "GET",
        "/youtube/v3/channels",
        lambda request: google_api_error(503, "backendError", "Backend Error", "UNAVAILABLE"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/channels/refresh-all")

    assert response.status_code == 202
    assert response.json() == {"queued": 1}
    assert Channel.objects.values().get(pk=channel.pk) == before


def test_a_youtube_refresh_spends_one_unit_and_stops_before_calling_once_units_are_spent(
    user, youtube_channel_of, fake_google, settings
):
    settings.YOUTUBE_DAILY_UNITS = 1
    channel = youtube_channel_of(user, "a@gmail.com")
    channel_refresh(channel=channel)
    before = Channel.objects.values().get(pk=channel.pk)
    calls: list[object] = []
    fake_google.route("GET", "/youtube/v3/channels", lambda request: calls.append(request))

    with pytest.raises(ProviderUnavailable) as refused:
        channel_refresh(channel=channel)

    assert "daily quota" in refused.value.message
    assert calls == []
    assert Channel.objects.values().get(pk=channel.pk) == before
    ledger = QuotaLedger.objects.get()
    assert (ledger.units_spent, ledger.uploads_spent) == (1, 0)


@pytest.mark.django_db(transaction=True)
def test_without_redis_refresh_all_answers_at_once_and_refreshes_in_the_background(
    api, user, youtube_channel_of, fake_google, settings
):
    settings.REDIS_URL = ""  # embedded mode: no Celery worker
    channels = [youtube_channel_of(user, f"{name}@gmail.com") for name in "abc"]
    list_channels = fake_google.handle_channels_list

    def slow_platform(request):
        time.sleep(0.5)
        return list_channels(request)

    fake_google.route("GET", "/youtube/v3/channels", slow_platform)

    started = time.monotonic()
    response = api.post("/api/v1/channels/refresh-all")
    took = time.monotonic() - started
    background.join()

    assert response.status_code == 202
    assert response.json() == {"queued": 3}
    assert took < 0.5  # inline, the three refreshes alone took 1.5 s
    refreshed = Channel.objects.filter(pk__in=[c.pk for c in channels])
    assert {c.display_name for c in refreshed} == {f"{name}@gmail.com tube" for name in "abc"}


def test_retries_of_a_refresh_back_off_exponentially_with_jitter(user):
    channel = ChannelFactory(user=user)
    countdowns: dict[int, list[float]] = {}

    def record_retry(*, exc, countdown, **kwargs):
        countdowns.setdefault(tasks.channel_refresh_task.request.retries, []).append(countdown)
        return Retry(exc=exc, when=countdown)

    with (
        patch.object(tasks, "channel_refresh", side_effect=ProviderUnavailable("down")),
        patch.object(tasks.channel_refresh_task, "retry", side_effect=record_retry),
    ):
        for retries in range(6):
            for _ in range(20):
                tasks.channel_refresh_task.push_request(retries=retries)
                try:
                    with pytest.raises(Retry):
                        tasks.channel_refresh_task(str(channel.id))
                finally:
                    tasks.channel_refresh_task.pop_request()

    for retries, seen in countdowns.items():
        ceiling = min(60 * 2**retries, 3600)
        assert all(0 <= countdown <= ceiling for countdown in seen), (retries, seen)
        assert len(set(seen)) > 1, "no jitter"
    assert max(countdowns[5]) > 4 * max(countdowns[0])  # grows with each attempt


def test_the_refresh_task_is_idempotent_and_ignores_deleted_channels(user, youtube_channel_of):
    channel = youtube_channel_of(user, "a@gmail.com")

    assert tasks.channel_refresh_task(str(channel.id)) == "ACTIVE"
    assert tasks.channel_refresh_task(str(channel.id)) == "ACTIVE"
    Channel.objects.filter(pk=channel.pk).delete()
    assert tasks.channel_refresh_task(str(channel.id)) is None


def test_the_daily_beat_entry_refreshes_stale_active_oauth_channels_only(
    user, youtube_channel_of, celery_eager, django_capture_on_commit_callbacks, monkeypatch
):
    entry = django_settings.CELERY_BEAT_SCHEDULE["channels-refresh-stale"]
    assert entry["task"] == tasks.channels_refresh_stale.name
    assert entry["schedule"].remaining_estimate(timezone.now()) <= timedelta(days=1)
    now = timezone.now()
    stale = youtube_channel_of(user, "a@gmail.com", last_refreshed_at=now - timedelta(days=2))
    never = youtube_channel_of(user, "b@gmail.com", last_refreshed_at=None)
    youtube_channel_of(user, "c@gmail.com", last_refreshed_at=now - timedelta(hours=1))
    youtube_channel_of(
        user, "d@gmail.com", last_refreshed_at=None, status=ChannelStatus.NEEDS_REAUTH
    )
    ManualChannelFactory(user=user, last_refreshed_at=None)  # manual: nothing to read
    sent: list[str] = []
    monkeypatch.setattr(tasks.channel_refresh_task, "delay", sent.append)

    with django_capture_on_commit_callbacks(execute=True):
        queued = tasks.channels_refresh_stale()

    assert queued == 2
    assert sorted(sent) == sorted([str(stale.id), str(never.id)])


def test_refresh_channels_command_prints_progress_and_a_summary(
    user, youtube_channel_of, fake_google, capsys
):
    ok = youtube_channel_of(user, "a@gmail.com")
    revoked = youtube_channel_of(user, "b@gmail.com")
    fake_google.revoke_account("b@gmail.com")
    other = UserFactory()
    youtube_channel_of(other, "c@gmail.com")
    ManualChannelFactory(user=other, platform="spotify")

    call_command("refresh_channels", "--user", user.email.upper(), "--platform", "youtube")

    out = capsys.readouterr().out.splitlines()
    assert [line.split("] ")[0] for line in out[:2]] == ["[1/2", "[2/2"]
    assert {line.split("] ")[1] for line in out[:2]} == {
        f"youtube {ok.id}: ACTIVE",
        f"youtube {revoked.id}: NEEDS_REAUTH",
    }
    assert out[2] == "Refreshed 2 channels: ACTIVE 1, NEEDS_REAUTH 1"
    assert Channel.objects.get(pk=revoked.pk).status == ChannelStatus.NEEDS_REAUTH


def test_refresh_channels_command_without_filters_refreshes_everything(user, capsys):
    ManualChannelFactory.create_batch(3, user=user)

    call_command("refresh_channels")

    assert capsys.readouterr().out.splitlines()[-1] == "Refreshed 3 channels: ACTIVE 3"
    assert not Channel.objects.filter(last_refreshed_at__isnull=True).exists()


def test_admin_filters_shows_no_token_and_refreshes_through_the_service(
    client, user, youtube_channel_of, fake_google
):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    channel = youtube_channel_of(user, "a@gmail.com")
    fake_google.add_account(
        "a@gmail.com", youtube_channel(channel.provider_channel_id, title="New")
    )

    listing = client.get("/admin/channels_app/channel/?platform=youtube&status=ACTIVE")
    detail = client.get(f"/admin/channels_app/channel/{channel.pk}/change/")
    action = client.post(
        "/admin/channels_app/channel/",
        {"action": "refresh_selected", "_selected_action": [str(channel.pk)]},
    )

    assert listing.status_code == 200
    assert detail.status_code == 200
    stored = Channel.objects.get(pk=channel.pk).refresh_token_encrypted
    for page in (listing, detail):
        html = page.content.decode()
        assert stored not in html
        assert fake_google.live_refresh_tokens()[0] not in html
        assert "refresh_token" not in html
    assert action.status_code == 302
    assert Channel.objects.get(pk=channel.pk).display_name == "New"


def test_refresh_channels_command_names_an_unknown_user():
    with pytest.raises(CommandError, match=r"No channels found for nobody@example\.com"):
        call_command("refresh_channels", "--user", "nobody@example.com")


def test_expired_authorization_requests_are_purged_daily(user):
    now = timezone.now()
    fields = {"user": user, "platform": "youtube", "code_verifier_encrypted": "x"}
    OAuthState.objects.create(nonce_hash="a" * 64, expires_at=now - timedelta(minutes=1), **fields)
    live = OAuthState.objects.create(
        nonce_hash="b" * 64, expires_at=now + timedelta(minutes=5), **fields
    )
    entry = django_settings.CELERY_BEAT_SCHEDULE["channels-purge-oauth-states"]
    assert entry["task"] == tasks.oauth_states_purge.name

    assert tasks.oauth_states_purge() == 1

    assert list(OAuthState.objects.all()) == [live]
