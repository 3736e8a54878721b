"""Creators' own Google projects through the API: Agency only, owner only, the secret written
and never read back, stored sealed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_app.models import GoogleProject
from channels_app.quota import QuotaBudget, channel_quota_budget, channel_quota_key
from core import crypto
from tests.factories import ChannelFactory, GoogleProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/google-projects"
CLIENT_ID = "123456789012-abcdefghijklmnop0123456789abcdef.apps.googleusercontent.com"
SECRET = "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz12"


def register(client, **fields):
    body = {"name": "My project", "clientId": CLIENT_ID, "clientSecret": SECRET, **fields}
    return client.post(URL, body, format="json")


def error_of(response) -> tuple[str, str | None]:
    [error] = response.json()["errors"]
    return error["code"], error["attr"]


def test_an_agency_creator_registers_a_project_and_never_reads_its_secret_back(
    agency_api, agency_user, settings
):
    settings.YOUTUBE_REDIRECT_URI = "https://gateway.example/oauth2/callback/youtube"

    response = register(agency_api)

    assert response.status_code == 201
    project = GoogleProject.objects.get(owner=agency_user)
    assert response.json() == {
        "id": str(project.id),
        "name": "My project",
        "clientId": CLIENT_ID,
        "dailyUploads": 100,
        "dailyUnits": 10000,
        "channelCount": 0,
        "redirectUri": "https://gateway.example/oauth2/callback/youtube",
        "createdAt": response.json()["createdAt"],
        "updatedAt": response.json()["updatedAt"],
    }
    for answer in (response, agency_api.get(URL), agency_api.get(f"{URL}/{project.id}")):
        assert answer.status_code in (200, 201)
        assert SECRET not in answer.content.decode()
        assert b"ecret" not in answer.content
    # At rest: sealed to this row, no plaintext in any column.
    assert SECRET not in repr(GoogleProject.objects.values().get(pk=project.pk))
    sealed = project.client_secret_encrypted
    assert crypto.decrypt(sealed, associated_data=str(project.id)) == SECRET
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, associated_data=str(ChannelFactory().id))


def test_the_budget_defaults_to_the_servers_figures_and_the_creator_may_set_it(
    agency_api, agency_user, settings
):
    settings.YOUTUBE_DAILY_UPLOADS, settings.YOUTUBE_DAILY_UNITS = 50, 20000

    default = register(agency_api).json()
    own = register(
        agency_api,
        clientId="42-second.apps.googleusercontent.com",
        dailyUploads=400,
        dailyUnits=1_000_000,
    ).json()

    assert (default["dailyUploads"], default["dailyUnits"]) == (50, 20000)
    assert (own["dailyUploads"], own["dailyUnits"]) == (400, 1_000_000)


@pytest.mark.parametrize("plan", ["free", "pro"])
def test_other_plans_cannot_register_nor_edit_a_project(client_for, plans, plan):
    user = UserFactory(plan=plans[plan])
    kept = GoogleProjectFactory(owner=user, name="From my Agency days")
    client = client_for(user)

    created = register(client)
    edited = client.patch(f"{URL}/{kept.id}", {"name": "Renamed"}, format="json")

    assert created.status_code == edited.status_code == 403
    assert error_of(created) == error_of(edited) == ("plan_feature_unavailable", None)
    assert list(GoogleProject.objects.values_list("name", flat=True)) == ["From my Agency days"]
    # What they registered before stays visible, and removable.
    assert [p["id"] for p in client.get(URL).json()] == [str(kept.id)]
    assert client.delete(f"{URL}/{kept.id}").status_code == 204


@pytest.mark.parametrize(
    ("fields", "attr"),
    [
        ({"clientId": "my-client"}, "clientId"),
        ({"clientId": "123-abc.apps.googleusercontent.com.evil.example"}, "clientId"),
        ({"clientId": "abc-123.apps.googleusercontent.com"}, "clientId"),
        ({"clientSecret": "short"}, "clientSecret"),
        ({"clientSecret": "GOCSPX with spaces inside"}, "clientSecret"),
        ({"clientSecret": ""}, "clientSecret"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"dailyUploads": 0}, "dailyUploads"),
        ({"dailyUnits": -5}, "dailyUnits"),
        ({"dailyUnits": "lots"}, "dailyUnits"),
    ],
)
def test_invalid_input_is_a_400_on_its_field_and_stores_nothing(agency_api, fields, attr):
    response = register(agency_api, **fields)

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr
    assert not GoogleProject.objects.exists()


def test_missing_fields_are_400(agency_api):
    response = agency_api.post(URL, {"name": "No client"}, format="json")

    assert response.status_code == 400
    assert {e["attr"] for e in response.json()["errors"]} == {"clientId", "clientSecret"}
    assert not GoogleProject.objects.exists()


def test_one_client_is_registered_once_per_creator(agency_api, agency_user):
    register(agency_api)

    again = register(agency_api, name="Same client")

    assert again.status_code == 400
    assert error_of(again) == ("unique", "clientId")
    assert GoogleProject.objects.filter(owner=agency_user).count() == 1


def test_a_creator_has_at_most_as_many_projects_as_the_plan_allows_channels(
    agency_api, agency_user, plans
):
    plans["agency"].channel_limit = 1
    plans["agency"].save()
    register(agency_api)

    second = register(agency_api, clientId="42-second.apps.googleusercontent.com")

    assert second.status_code == 403
    assert error_of(second) == ("plan_limit_reached", None)
    assert GoogleProject.objects.filter(owner=agency_user).count() == 1


def test_another_users_project_is_not_found_and_stays_as_it_was(agency_api, plans, client_for):
    theirs = GoogleProjectFactory(owner=UserFactory(plan=plans["agency"]), name="Theirs")
    sealed = theirs.client_secret_encrypted

    answers = [
        agency_api.get(f"{URL}/{theirs.id}"),
        agency_api.patch(f"{URL}/{theirs.id}", {"name": "Mine now"}, format="json"),
        agency_api.delete(f"{URL}/{theirs.id}"),
        agency_api.post(
            "/api/v1/channels/connect",
            {"platform": "youtube", "googleProjectId": str(theirs.id)},
            format="json",
        ),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert {error_of(a) for a in answers} == {("not_found", None)}
    assert agency_api.get(URL).json() == []
    theirs.refresh_from_db()
    assert (theirs.name, theirs.client_secret_encrypted) == ("Theirs", sealed)


def test_patch_renames_rotates_the_secret_and_changes_the_budget(agency_api, agency_user):
    project_id = register(agency_api).json()["id"]

    response = agency_api.patch(
        f"{URL}/{project_id}",
        {"name": "Renamed", "clientSecret": "GOCSPX-rotated-secret-0001", "dailyUnits": 50000},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["clientId"], body["dailyUploads"], body["dailyUnits"]) == (
        "Renamed",
        CLIENT_ID,
        100,
        50000,
    )
    assert "GOCSPX" not in response.content.decode()
    project = GoogleProject.objects.get(pk=project_id)
    secret = crypto.decrypt(project.client_secret_encrypted, associated_data=project_id)
    assert secret == "GOCSPX-rotated-secret-0001"


def test_a_project_used_by_a_channel_keeps_its_client_id_and_cannot_be_deleted(
    agency_api, agency_user
):
    project = GoogleProjectFactory(owner=agency_user)
    ChannelFactory(user=agency_user, google_project=project)

    changed = agency_api.patch(
        f"{URL}/{project.id}", {"clientId": "42-other.apps.googleusercontent.com"}, format="json"
    )
    deleted = agency_api.delete(f"{URL}/{project.id}")

    assert changed.status_code == deleted.status_code == 409
    assert error_of(changed) == error_of(deleted) == ("google_project_in_use", None)
    project.refresh_from_db()
    assert project.client_id.endswith("-own.apps.googleusercontent.com")
    assert agency_api.get(f"{URL}/{project.id}").json()["channelCount"] == 1


def test_an_unused_project_changes_its_client_id_and_is_deleted(agency_api, agency_user):
    project = GoogleProjectFactory(owner=agency_user)

    changed = agency_api.patch(
        f"{URL}/{project.id}", {"clientId": "42-other.apps.googleusercontent.com"}, format="json"
    )
    deleted = agency_api.delete(f"{URL}/{project.id}")

    assert changed.status_code == 200
    assert changed.json()["clientId"] == "42-other.apps.googleusercontent.com"
    assert deleted.status_code == 204
    assert not GoogleProject.objects.exists()


def test_deleting_a_creator_takes_their_projects_and_channels_with_them(agency_user):
    project = GoogleProjectFactory(owner=agency_user)
    ChannelFactory(user=agency_user, google_project=project)

    agency_user.delete()

    assert not GoogleProject.objects.exists()


def test_the_list_costs_the_same_queries_for_one_project_and_for_five(agency_api, agency_user):
    GoogleProjectFactory(owner=agency_user)
    with CaptureQueriesContext(connection) as one:
        assert len(agency_api.get(URL).json()) == 1
    for _ in range(4):
        ChannelFactory(user=agency_user, google_project=GoogleProjectFactory(owner=agency_user))

    with CaptureQueriesContext(connection) as five:
        listed = agency_api.get(URL).json()

    assert len(listed) == 5
    assert [p["channelCount"] for p in listed] == [0, 1, 1, 1, 1]
    assert len(five) == len(one)


def test_a_channel_spends_its_projects_quota_or_the_shared_one(agency_user, settings):
    settings.YOUTUBE_DAILY_UPLOADS, settings.YOUTUBE_DAILY_UNITS = 100, 10000
    project = GoogleProjectFactory(owner=agency_user, daily_uploads=7, daily_units=900)
    own = ChannelFactory(user=agency_user, google_project=project)
    shared = ChannelFactory(user=agency_user)

    assert channel_quota_key(own) == f"youtube:project:{project.id}"
    assert channel_quota_budget(own) == QuotaBudget(uploads=7, units=900)
    assert channel_quota_key(shared) == "youtube:shared"
    assert channel_quota_budget(shared) == QuotaBudget(uploads=100, units=10000)
