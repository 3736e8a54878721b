"""After the YouTube and SoundCloud OAuth flows (connect, then a refresh that rotates
SoundCloud's single-use refresh token), no row of any table holds a secret in plaintext: not an
access or refresh token the fakes issued, not an authorization code, not a PKCE verifier."""

from __future__ import annotations

import pytest
from django.db import connection

from channels_app.models import Channel
from tests.providers.soundcloud.fake_soundcloud import soundcloud_user
from tests.providers.youtube.fake_google import youtube_channel
from tests.support.oauth_flows import connect_youtube, finish_oauth, follow_to_gateway, start_oauth

pytestmark = pytest.mark.django_db


def _database_dump() -> str:
    """Every row of every table, as text (binary columns decoded byte for byte)."""
    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                cells = [
                    bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v)
                    for v in row
                ]
                lines.append(f"{table}: {' | '.join(cells)}")
    return "\n".join(lines)


def _issued_secrets(fake) -> set[str]:
    """What the fake handed out or was shown: tokens, codes and PKCE verifiers."""
    secrets: set[str] = set()
    for grant in fake.grants:
        secrets.update(grant.access_tokens)
        if grant.refresh_token:
            secrets.add(grant.refresh_token)
    for request in fake.requests_to(fake.token_path):
        form = request.form()
        secrets.update(form[k] for k in ("code", "code_verifier", "refresh_token") if form.get(k))
    return secrets


def test_a_full_database_dump_after_both_oauth_flows_holds_no_plaintext_secret(
    api, user, fake_google, fake_soundcloud
):
    fake_google.add_account("creator@gmail.com", youtube_channel("UCfake0000000000000000001"))
    fake_soundcloud.add_account("artist", soundcloud_user(4242, "fake-artist"))
    assert connect_youtube(api, fake_google, account="creator@gmail.com").status_code == 201
    consent = fake_soundcloud.consent(
        start_oauth(api, "soundcloud")["authorizationUrl"], account="artist"
    )
    assert finish_oauth(api, follow_to_gateway(api, consent)).status_code == 201
    for channel in Channel.objects.all():
        assert api.post(f"/api/v1/channels/{channel.id}/refresh").status_code == 200

    secrets = _issued_secrets(fake_google) | _issued_secrets(fake_soundcloud)
    dump = _database_dump()

    assert len(secrets) >= 8  # codes, verifiers, access and refresh tokens of both platforms
    stored = [c.refresh_token_encrypted for c in Channel.objects.all()]
    assert len(stored) == 2
    assert all(grant and grant in dump for grant in stored)  # the dump does see those rows
    assert [s for s in secrets if s in dump] == []
