"""The /api/v1/shows endpoints: strict input, camelCase, each user's own shows only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from podcasts.models import Show
from tests.factories import UserFactory
from tests.podcasts.conftest import SHOW_INPUT

pytestmark = pytest.mark.django_db


def test_creating_a_show_answers_it_with_its_feed_url(auth_client, user):
    response = auth_client.post("/api/v1/shows", SHOW_INPUT, format="json")

    assert response.status_code == 201
    body = response.json()
    show = Show.objects.get()
    assert show.user == user
    assert body == {
        "id": str(show.pk),
        **SHOW_INPUT,
        "feedUrl": f"http://localhost:4000/feeds/{show.pk}.xml",
        "createdAt": body["createdAt"],
    }
    assert body["createdAt"].endswith("Z")


def test_the_language_is_stored_in_lower_case(auth_client):
    response = auth_client.post("/api/v1/shows", {**SHOW_INPUT, "language": "PT-BR"}, format="json")

    assert response.status_code == 201
    assert response.json()["language"] == "pt-br"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("language", "english"),
        ("language", "xx"),
        ("language", "en_US"),
        ("category", "Cooking"),
        ("category", "Arts > Cooking"),
        ("category", "arts"),
        ("ownerEmail", "not-an-email"),
        ("imageUrl", "http://cdn.example.com/art.jpg"),
        ("imageUrl", "https://cdn.example.com/art.gif"),
        ("imageUrl", "ftp://cdn.example.com/art.png"),
        ("description", "é" * 2001),  # 2,001 characters, 4,002 bytes
        ("description", ""),
        ("title", ""),
        ("title", "t" * 256),
        ("explicit", "maybe"),
    ],
)
def test_invalid_input_is_a_400_on_that_field_and_creates_nothing(auth_client, field, value):
    response = auth_client.post("/api/v1/shows", {**SHOW_INPUT, field: value}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert [e["attr"] for e in body["errors"]] == [field]
    assert not Show.objects.exists()


def test_a_missing_field_is_a_400(auth_client):
    body = {k: v for k, v in SHOW_INPUT.items() if k != "ownerEmail"}

    response = auth_client.post("/api/v1/shows", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "required",
        "detail": "This field is required.",
        "attr": "ownerEmail",
    }


def test_the_list_holds_only_the_users_own_shows_at_a_fixed_cost(
    auth_client, user, show, django_assert_max_num_queries
):
    other = UserFactory()
    Show.objects.create(
        user=other,
        title="Not mine",
        description="d",
        author="a",
        owner_email="o@example.com",
        image_url="https://cdn.example.com/x.png",
        language="en",
        category="History",
        podcast_guid="00000000-0000-0000-0000-000000000001",
    )
    for n in range(3):
        auth_client.post("/api/v1/shows", {**SHOW_INPUT, "title": f"Show {n}"}, format="json")

    with django_assert_max_num_queries(3):  # user, throttle plan, shows
        response = auth_client.get("/api/v1/shows")

    assert response.status_code == 200
    assert [s["title"] for s in response.json()] == ["Show 2", "Show 1", "Show 0", show.title]


def test_patch_changes_only_what_is_sent_and_is_validated(auth_client, show):
    response = auth_client.patch(
        f"/api/v1/shows/{show.pk}", {"explicit": True, "category": "History"}, format="json"
    )

    assert response.status_code == 200
    show.refresh_from_db()
    assert (show.explicit, show.category, show.title) == (True, "History", SHOW_INPUT["title"])

    refused = auth_client.patch(f"/api/v1/shows/{show.pk}", {"language": "zz"}, format="json")
    assert refused.status_code == 400
    show.refresh_from_db()
    assert show.language == "en-us"


def test_another_users_show_is_404_everywhere(client_for, show):
    stranger = client_for(UserFactory())
    base = f"/api/v1/shows/{show.pk}"

    answers = [
        stranger.get(base),
        stranger.patch(base, {"title": "Mine now"}, format="json"),
        stranger.delete(base),
        stranger.get(f"{base}/episodes"),
    ]

    assert [r.status_code for r in answers] == [404, 404, 404, 404]
    assert answers[0].json()["errors"][0]["code"] == "not_found"
    show.refresh_from_db()
    assert show.title == SHOW_INPUT["title"]


def test_the_episode_list_shows_scheduled_and_live_episodes(
    auth_client, show, publish, django_assert_max_num_queries
):
    live = publish("live", seconds=2.0)
    scheduled = publish("later", publish_at=timezone.now() + timedelta(days=1))

    with django_assert_max_num_queries(4):
        response = auth_client.get(f"/api/v1/shows/{show.pk}/episodes")

    assert response.status_code == 200
    body = response.json()
    assert [e["id"] for e in body] == [str(scheduled.pk), str(live.pk)]
    assert [e["live"] for e in body] == [False, True]
    assert body[1]["durationSeconds"] == 2.0
    assert body[1]["sizeBytes"] == live.media_size_bytes
    assert body[1]["guid"] == live.guid
    assert body[1]["mediaType"] == "audio/wav"
    assert body[1]["enclosureUrl"] == (f"http://localhost:4000/feeds/{show.pk}/media/{live.pk}.wav")


def test_the_endpoints_need_a_token():
    assert APIClient().get("/api/v1/shows").status_code == 401
    assert APIClient().post("/api/v1/shows", SHOW_INPUT, format="json").status_code == 401
