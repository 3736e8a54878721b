"""AES-256-GCM at rest: round trip, binding to the record, tamper detection, key rotation."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from channels_app.models import Channel, GoogleProject
from channels_app.services.grants import channel_grant_decrypt
from core import crypto
from tests.factories import GoogleProjectFactory, ManualChannelFactory


def test_round_trip_returns_the_plaintext_and_stores_none_of_it():
    sealed = crypto.encrypt("1//refresh-secret", associated_data="channel-1")

    assert crypto.decrypt(sealed, associated_data="channel-1") == "1//refresh-secret"
    assert "refresh-secret" not in sealed
    assert sealed.startswith(f"v1.{crypto.current_key().key_id}.")
    assert crypto.is_current(sealed)


def test_each_encryption_uses_a_fresh_nonce():
    assert crypto.encrypt("same", associated_data="a") != crypto.encrypt(
        "same", associated_data="a"
    )


def test_a_value_moved_to_another_record_does_not_decrypt():
    sealed = crypto.encrypt("token", associated_data="channel-1")

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, associated_data="channel-2")


@pytest.mark.parametrize("position", [8, 20, -1])
def test_a_tampered_value_fails_loudly(position):
    sealed = crypto.encrypt("token", associated_data="channel-1")
    version, key_id, payload = sealed.split(".")
    index = position % len(payload)
    flipped = "A" if payload[index] != "A" else "B"
    tampered = f"{version}.{key_id}.{payload[:index]}{flipped}{payload[index + 1 :]}"

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, associated_data="channel-1")


@pytest.mark.parametrize("value", ["", "garbage", "v2.abc.def", "v1.unknownkey.AAAA", "v1.x"])
def test_malformed_or_foreign_values_fail(value):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(value, associated_data="channel-1")


@pytest.mark.django_db
def test_rotation_old_key_still_reads_then_reencrypt_moves_every_token_to_the_new_key(settings):
    # Given tokens sealed with the key in use today
    settings.ENCRYPTION_KEY = "the-old-key"
    channels = [ManualChannelFactory(refresh_token=f"token-{n}") for n in range(3)]
    ManualChannelFactory()  # a manual channel without a grant
    # When the key is rotated, the old one kept for reading
    settings.ENCRYPTION_KEY = "the-new-key"
    settings.ENCRYPTION_KEYS_OLD = ["the-old-key"]
    stored = {c.pk: Channel.objects.get(pk=c.pk).refresh_token_encrypted for c in channels}
    assert not any(crypto.is_current(value) for value in stored.values())
    assert channel_grant_decrypt(Channel.objects.get(pk=channels[0].pk)) == "token-0"

    call_command("reencrypt_tokens")

    # Then every token is sealed with the new key and still opens without the old one
    settings.ENCRYPTION_KEYS_OLD = []
    for n, channel in enumerate(channels):
        fresh = Channel.objects.get(pk=channel.pk)
        assert crypto.is_current(fresh.refresh_token_encrypted)
        assert fresh.refresh_token_encrypted != stored[channel.pk]
        assert channel_grant_decrypt(fresh) == f"token-{n}"


@pytest.mark.django_db
def test_reencrypt_twice_changes_nothing_the_second_time(capsys):
    channel = ManualChannelFactory(refresh_token="token")
    call_command("reencrypt_tokens")
    before = Channel.objects.get(pk=channel.pk).refresh_token_encrypted

    call_command("reencrypt_tokens")

    assert Channel.objects.get(pk=channel.pk).refresh_token_encrypted == before
    assert "Re-encrypted 0 tokens; 1 already current." in capsys.readouterr().out


@pytest.mark.django_db
def test_reencrypt_reports_tokens_no_key_opens_and_leaves_them_alone(settings):
    settings.ENCRYPTION_KEY = "a-key-that-will-be-lost"
    channel = ManualChannelFactory(refresh_token="token")
    before = Channel.objects.get(pk=channel.pk).refresh_token_encrypted
    settings.ENCRYPTION_KEY = "the-new-key"

    with pytest.raises(CommandError, match="1 tokens do not decrypt"):
        call_command("reencrypt_tokens")

    assert Channel.objects.get(pk=channel.pk).refresh_token_encrypted == before


@pytest.mark.django_db
def test_reencrypt_also_moves_google_project_secrets_to_the_new_key(settings, capsys):
    settings.ENCRYPTION_KEY = "the-old-key"
    project = GoogleProjectFactory(client_secret="GOCSPX-project-secret")
    lost = GoogleProjectFactory()
    settings.ENCRYPTION_KEY = "the-new-key"
    settings.ENCRYPTION_KEYS_OLD = ["the-old-key"]
    GoogleProject.objects.filter(pk=lost.pk).update(client_secret_encrypted="v1.gone.data")

    with pytest.raises(
        CommandError, match=f"1 tokens do not decrypt with any configured key: {lost.pk}"
    ):
        call_command("reencrypt_tokens")

    settings.ENCRYPTION_KEYS_OLD = []
    sealed = GoogleProject.objects.get(pk=project.pk).client_secret_encrypted
    assert crypto.is_current(sealed)
    assert crypto.decrypt(sealed, associated_data=str(project.pk)) == "GOCSPX-project-secret"
    assert "Re-encrypted 1 Google project secrets; 0 already current." in capsys.readouterr().out
