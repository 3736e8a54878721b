"""The documentation a clone gets is complete: nothing points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_document_points_outside_the_repository(doc: Path):
    text = doc.read_text()

    assert "../shared" not in text
    assert "/work/" not in text
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert (doc.parent / target).resolve().is_relative_to(ROOT), target
        assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def test_the_api_guide_covers_what_the_schema_cannot_say():
    guide = (ROOT / "docs" / "api.md").read_text()

    for topic in (
        "## Signing in and tokens",
        "### Connecting with OAuth",
        "POST /api/v1/channels/connect/complete",
        "## Realtime feed (`/ws/jobs`)",
        "job:canceled",
        "### Idempotency",
        "## Errors",
        "## Lists and pagination",
        "## Rate limits",
        "/api/schema",
    ):
        assert topic in guide, topic
