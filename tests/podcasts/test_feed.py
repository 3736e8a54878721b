"""The hosted feed, read the way Apple Podcasts and Spotify read it (feedparser), with a
scheduled episode appearing on time and the WebSub hub told about it."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from lxml import etree

from podcasts.models import Episode
from podcasts.services import episode_publish
from tests.podcasts.conftest import SHOW_INPUT

pytestmark = pytest.mark.django_db

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"


def _feed_path(show) -> str:
    return f"/feeds/{show.pk}.xml"


def _get_feed(show, captured, **headers):
    with captured(execute=True):
        return Client().get(_feed_path(show), **headers)


def test_a_feed_with_a_scheduled_episode_passes_apples_checks_and_grows_on_time(
    show, publish, hub, media_root, django_capture_on_commit_callbacks
):
    # given a show with two episodes live and one scheduled an hour from now
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        first = publish("first", seconds=1.0)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        second = publish("second", seconds=2.5)
        scheduled = publish("third", seconds=1.5, publish_at=start + timedelta(hours=1))

        # when the feed is read before the scheduled time
        response = _get_feed(show, django_capture_on_commit_callbacks)

    # then it is RSS 2.0 with every tag Apple and Spotify require, and two episodes
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert ITUNES_NS in parsed.namespaces.values()
    assert PODCAST_NS in parsed.namespaces.values()
    channel = parsed.feed
    assert channel.title == SHOW_INPUT["title"]
    assert channel.description == SHOW_INPUT["description"]
    assert channel.image.href == SHOW_INPUT["imageUrl"]
    assert channel.language == "en-us"
    assert [(t.term, t.scheme) for t in channel.tags] == [
        ("Society & Culture", "http://www.itunes.com/"),
        ("Documentary", "http://www.itunes.com/"),
    ]
    assert "itunes_explicit" in channel  # feedparser reads "false" as not explicit (None)
    assert channel.author == SHOW_INPUT["author"]
    assert channel.publisher_detail.email == SHOW_INPUT["ownerEmail"]
    assert channel.link == f"http://localhost:4000/feeds/{show.pk}.xml"
    assert [e.title for e in parsed.entries] == ["Episode second", "Episode first"]
    for entry, episode, seconds in (
        (parsed.entries[0], second, 2.5),
        (parsed.entries[1], first, 1),
    ):
        enclosure = entry.enclosures[0]
        assert int(enclosure.length) == (media_root / episode.media_key).stat().st_size
        assert enclosure.type == "audio/wav"
        assert enclosure.href == (f"http://localhost:4000/feeds/{show.pk}/media/{episode.pk}.wav")
        assert entry.id == episode.guid
        assert entry.guidislink is False
        assert entry.description == f"All about {episode.title.split()[-1]}."
        assert entry.itunes_duration == f"00:00:{round(seconds):02d}"
        assert parsedate_to_datetime(entry.published) == episode.publish_at
    # the Podcasting 2.0 tags feedgen lacks, through our extension
    channel_xml = etree.fromstring(response.content)[0]
    assert channel_xml.findtext(f"{{{PODCAST_NS}}}guid") == str(show.podcast_guid)
    locked = channel_xml.find(f"{{{PODCAST_NS}}}locked")
    assert (locked.text, locked.get("owner")) == ("yes", SHOW_INPUT["ownerEmail"])
    assert channel_xml.findtext(f"{{{ITUNES_NS}}}explicit") == "false"
    assert (
        channel_xml.find(f"{{{ITUNES_NS}}}owner").findtext(f"{{{ITUNES_NS}}}email")
        == (SHOW_INPUT["ownerEmail"])
    )
    # the hub heard of each episode that went live, and not of the scheduled one
    feed_url = f"http://localhost:4000/feeds/{show.pk}.xml"
    assert hub.pinged_urls() == [feed_url, feed_url]
    assert Episode.objects.get(pk=scheduled.pk).live_at is None

    # when the scheduled time has passed
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        later = _get_feed(show, django_capture_on_commit_callbacks)

    # then the third episode is in the feed, the feed is newer, and the hub was pinged
    entries = feedparser.parse(later.content).entries
    assert [e.title for e in entries] == ["Episode third", "Episode second", "Episode first"]
    assert entries[0].itunes_duration == "00:00:02"
    assert later["ETag"] != response["ETag"]
    assert hub.pinged_urls() == [feed_url, feed_url, feed_url]
    scheduled.refresh_from_db()
    assert scheduled.live_at == start + timedelta(hours=1, seconds=1)


def test_the_same_media_published_twice_to_a_show_is_one_episode(
    show, publish, hub, django_capture_on_commit_callbacks
):
    # given an asset already published (e.g. through the Spotify channel)
    first = publish("shared", seconds=1.0)

    # when the same asset is published again (the Apple channel of the same show)
    with django_capture_on_commit_callbacks(execute=True):
        again = episode_publish(
            show_id=show.pk,
            media_key=first.media_key,
            media_type="audio/wav",
            title="Another title",
        )

    # then it is the same episode, once in the feed, announced once
    assert again.pk == first.pk
    assert again.title == "Episode shared"
    assert Episode.objects.count() == 1
    feed = _get_feed(show, django_capture_on_commit_callbacks)
    assert len(feedparser.parse(feed.content).entries) == 1
    assert len(hub.pinged_urls()) == 1


def test_a_matching_etag_or_date_answers_304_and_head_has_no_body(
    show, publish, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    publish("one")
    first = _get_feed(show, django_capture_on_commit_callbacks)
    etag, modified = first["ETag"], first["Last-Modified"]

    # a cached feed costs no query
    with django_assert_max_num_queries(0):
        same = Client().get(_feed_path(show), HTTP_IF_NONE_MATCH=etag)
    assert same.status_code == 304
    assert same.content == b""
    assert same["ETag"] == etag

    since = Client().get(_feed_path(show), HTTP_IF_MODIFIED_SINCE=modified)
    assert since.status_code == 304

    head = Client().head(_feed_path(show))
    assert head.status_code == 200
    assert head.content == b""
    assert int(head["Content-Length"]) == len(first.content)
    assert head["ETag"] == etag

    stale = Client().get(_feed_path(show), HTTP_IF_NONE_MATCH='"something-else"')
    assert stale.status_code == 200
    assert stale.content == first.content


def test_a_show_change_is_in_the_feed_at_once(
    show, auth_client, django_capture_on_commit_callbacks
):
    before = _get_feed(show, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        patched = auth_client.patch(
            f"/api/v1/shows/{show.pk}", {"title": "Day Shift"}, format="json"
        )

    assert patched.status_code == 200
    after = _get_feed(show, django_capture_on_commit_callbacks)
    assert feedparser.parse(after.content).feed.title == "Day Shift"
    assert after["ETag"] != before["ETag"]
    assert Client().get(_feed_path(show), HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200


def test_an_unknown_or_deleted_show_has_no_feed(
    show, auth_client, django_capture_on_commit_callbacks
):
    assert _get_feed(show, django_capture_on_commit_callbacks).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(f"/api/v1/shows/{show.pk}").status_code == 204

    gone = Client().get(_feed_path(show))
    assert gone.status_code == 404
    assert gone.json()["errors"][0]["code"] == "not_found"
    assert Client().get("/feeds/00000000-0000-0000-0000-000000000000.xml").status_code == 404


def test_the_hub_is_pinged_again_until_it_takes_the_ping(show, publish, hub):
    hub.fail_next = 2

    publish("retried")

    assert len(hub.requests_to("/", "POST")) == 3
