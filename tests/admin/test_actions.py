"""Admin actions: each declares its permission, viewers can run none, operators run the API's
services and see the outcome in messages and in the admin log."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.messages import get_messages
from django.test import RequestFactory

from accounts.models import User
from billing.models import PlanUsage
from channels_app.models import Channel, ChannelStatus
from tests.admin.history import job_on
from tests.factories import ChannelFactory, ManualChannelFactory, UserFactory
from tests.providers.youtube.fake_google import CLIENT_ID, youtube_channel
from uploads.models import Job, JobStatus

pytestmark = pytest.mark.django_db


def _every_action():
    for model, model_admin in admin.site._registry.items():
        for func, name, _ in model_admin._get_base_actions():
            yield model, model_admin, func, name


def _changelist(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def test_every_action_declares_the_permission_it_needs():
    undeclared = [
        f"{model._meta.label}.{name}"
        for model, _, func, name in _every_action()
        if not getattr(func, "allowed_permissions", None)
    ]

    assert undeclared == []
    assert {f"{model._meta.label}.{name}" for model, _, _, name in _every_action()} >= {
        "channels_app.Channel.refresh_selected",
        "channels_app.Channel.disconnect_selected",
        "uploads.Job.retry_jobs",
        "uploads.Job.cancel_jobs",
    }


def test_a_viewer_is_offered_no_action_on_any_list(viewer):
    request = RequestFactory().get("/admin/")
    request.user = viewer

    offered = {
        model._meta.label: list(model_admin.get_actions(request))
        for model, model_admin in admin.site._registry.items()
    }

    assert offered == {label: [] for label in offered}


def _state() -> dict[str, list]:
    return {
        "users": list(User.objects.order_by("email").values()),
        "channels": list(Channel.objects.order_by("pk").values()),
        "jobs": list(Job.objects.order_by("title").values()),
    }


def test_a_viewer_posting_any_action_changes_nothing(viewer_client, fake_google, settings):
    settings.YOUTUBE_CLIENT_ID = CLIENT_ID
    owner = UserFactory()
    fake_google.add_account("a@gmail.com", youtube_channel("UCviewer000000000000000", title="T"))
    grant = fake_google.issue_grant(account="a@gmail.com", client_id=CLIENT_ID)
    channel = ChannelFactory(
        user=owner,
        platform="youtube",
        provider_channel_id="UCviewer000000000000000",
        refresh_token=grant,
    )
    job_on(channel, JobStatus.FAILED)
    job_on(channel, JobStatus.QUEUED)
    before = _state()

    refused = []
    for model, _, _, name in _every_action():
        selected = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:5]]
        response = viewer_client.post(
            _changelist(model), {"action": name, "_selected_action": selected, "index": "0"}
        )
        refused.append((model._meta.label, name, response.status_code))

    assert all(code in (200, 302, 403) for _, _, code in refused), refused
    assert _state() == before
    assert fake_google.live_refresh_tokens() == [grant]  # no refresh rotated it
    assert not LogEntry.objects.exists()


def test_a_viewer_sees_no_action_box_no_toggle_and_no_save(viewer_client, plans):
    job = job_on(ChannelFactory(), JobStatus.FAILED)

    jobs = viewer_client.get("/admin/uploads/job/").content.decode()
    users = viewer_client.get("/admin/accounts/user/").content.decode()
    job_page = viewer_client.get(f"/admin/uploads/job/{job.pk}/change/").content.decode()

    assert 'name="action"' not in jobs
    assert 'name="form-0-is_active"' not in users
    for html in (job_page,):
        assert 'name="_save"' not in html
        assert "deletelink" not in html


def test_retry_through_the_action_queues_the_job_and_is_logged(operator_client, operator):
    channel = ChannelFactory()  # a platform that takes uploads: a retry is accepted
    failed = job_on(channel, JobStatus.FAILED, title="Failed", error={"code": "x", "message": "y"})
    running = job_on(channel, JobStatus.RUNNING, title="Running")

    response = operator_client.post(
        "/admin/uploads/job/",
        {"action": "retry_jobs", "_selected_action": [str(failed.pk), str(running.pk)]},
        follow=True,
    )

    failed.refresh_from_db()
    running.refresh_from_db()
    assert (failed.status, failed.error) == (JobStatus.QUEUED, None)
    assert running.status == JobStatus.RUNNING
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert "1 job(s) queued again." in notes
    assert f"{running}: Only a failed job can be retried." in notes
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.action_flag, entry.user_id) == (
        str(failed.pk),
        CHANGE,
        operator.pk,
    )
    assert entry.change_message == "Retried (queued again)."
    assert PlanUsage.objects.get(user=channel.user).uploads == 1  # the same quota service


def test_disconnect_through_the_action_cancels_queued_jobs_and_is_logged(operator_client):
    channel = ManualChannelFactory()
    queued = job_on(channel, JobStatus.QUEUED, title="Queued")

    response = operator_client.post(
        "/admin/channels_app/channel/",
        {"action": "disconnect_selected", "_selected_action": [str(channel.pk)]},
        follow=True,
    )

    assert not Channel.objects.filter(pk=channel.pk).exists()
    queued.refresh_from_db()
    assert queued.status == JobStatus.CANCELED
    assert "Disconnected 1 channel(s)." in [str(m) for m in get_messages(response.wsgi_request)]
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.action_flag) == (str(channel.pk), DELETION)


def test_refresh_through_the_action_reports_a_revoked_grant(operator_client, fake_google, settings):
    settings.YOUTUBE_CLIENT_ID = CLIENT_ID
    channel = ChannelFactory(
        platform="youtube", provider_channel_id="UCrevoked00000000000000", refresh_token="1//gone"
    )

    response = operator_client.post(
        "/admin/channels_app/channel/",
        {"action": "refresh_selected", "_selected_action": [str(channel.pk)]},
        follow=True,
    )

    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"{channel}: now NEEDS_REAUTH." in notes
