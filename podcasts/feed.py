"""The RSS 2.0 document of a show, built with feedgen (never string templates).

feedgen's ``podcast`` extension writes the ``itunes`` tags; :class:`PodcastIndexExtension`
adds the Podcasting 2.0 tags feedgen lacks (``podcast:guid``, ``podcast:locked``) and writes
``itunes:explicit`` as ``true``/``false``, the spelling Apple documents today (feedgen only
knows the older ``yes``/``no``/``clean``).

The output depends only on its inputs (``lastBuildDate`` is the last change, not "now"), so
the same show and episodes always give the same bytes and the same ETag.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator  # imports lxml.etree, which feedgen.util relies on
from lxml import etree

from podcasts.links import enclosure_url, feed_url, media_extension
from podcasts.models import Episode, Show
from podcasts.vocabulary import category_parts

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"


class PodcastIndexExtension(BaseExtension):
    """``podcast:guid``, ``podcast:locked`` and a ``true``/``false`` ``itunes:explicit``."""

    def __init__(self) -> None:
        self.guid: str | None = None
        self.locked_owner: str | None = None
        self.explicit: bool | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed):
        channel = rss_feed[0]
        if self.explicit is not None:
            etree.SubElement(channel, f"{{{ITUNES_NS}}}explicit").text = (
                "true" if self.explicit else "false"
            )
        if self.guid:
            etree.SubElement(channel, f"{{{PODCAST_NS}}}guid").text = self.guid
        if self.locked_owner:
            locked = etree.SubElement(channel, f"{{{PODCAST_NS}}}locked")
            locked.set("owner", self.locked_owner)
            locked.text = "yes"
        return rss_feed


def itunes_duration(duration_ms: int) -> str:
    """``HH:MM:SS`` (Apple accepts seconds or this; this reads better in a validator)."""
    seconds = round(duration_ms / 1000)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def feed_build(*, show: Show, episodes: Sequence[Episode], last_modified: datetime) -> bytes:
    """The feed of ``show`` with ``episodes`` (the live ones, newest first)."""
    url = feed_url(show.pk)
    fg = FeedGenerator()
    fg.load_extension("podcast", rss=True, atom=False)
    fg.register_extension(
        "podcastindex", PodcastIndexExtension, extension_class_entry=None, atom=False
    )
    fg.title(show.title)
    fg.description(show.description)
    fg.link(href=url, rel="alternate")
    fg.link(href=url, rel="self", type="application/rss+xml")
    fg.language(show.language)
    fg.lastBuildDate(last_modified)
    fg.generator("Gateway")
    fg.image(url=show.image_url, title=show.title, link=url)
    fg.podcast.itunes_author(show.author)
    fg.podcast.itunes_image(show.image_url)
    main, sub = category_parts(show.category)
    fg.podcast.itunes_category({"cat": main, **({"sub": sub} if sub else {})})
    fg.podcast.itunes_owner(name=show.author, email=show.owner_email)
    fg.podcast.itunes_type("episodic")
    index = fg.podcastindex  # type: ignore[attr-defined]
    index.explicit = show.explicit
    index.guid = str(show.podcast_guid)
    # Locked: no other host may import this feed without the owner's consent.
    index.locked_owner = show.owner_email

    # feedgen prepends entries: add the oldest first so the newest ends up on top.
    for episode in reversed(episodes):
        entry = fg.add_entry()
        entry.title(episode.title)
        entry.guid(episode.guid, permalink=False)
        entry.pubDate(episode.publish_at)
        entry.description(episode.description or episode.title)
        entry.enclosure(
            enclosure_url(
                show_id=show.pk,
                episode_id=episode.pk,
                extension=media_extension(episode.media_key, episode.media_type),
            ),
            str(episode.media_size_bytes),
            episode.media_type,
        )
        entry.podcast.itunes_duration(itunes_duration(episode.duration_ms))
    return fg.rss_str(pretty=False)
