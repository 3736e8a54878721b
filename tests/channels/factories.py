from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import User
from channels_app.models import Channel, ChannelStatus
from core import crypto
from providers.platforms import Platform


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"creator{n}@example.com")
    name = factory.Sequence(lambda n: f"Creator {n}")
    # No usable password: hashing one with Argon2 would cost a third of a second per user.
    password = factory.LazyFunction(lambda: make_password(None))


class ChannelFactory(factory.django.DjangoModelFactory):
    """A channel; pass ``refresh_token=...`` to store that grant encrypted for the channel."""

    class Meta:
        model = Channel

    user = factory.SubFactory(UserFactory)
    platform = Platform.SPOTIFY
    provider_channel_id = factory.Sequence(lambda n: f"{n:022d}")
    display_name = factory.Sequence(lambda n: f"Channel {n}")
    status = ChannelStatus.ACTIVE
    refresh_token = ""  # popped in _create: stored encrypted, never as a field

    @classmethod
    def _create(cls, model_class, *args, refresh_token: str = "", **kwargs):
        channel = model_class(*args, **kwargs)
        if refresh_token:
            channel.refresh_token_encrypted = crypto.encrypt(
                refresh_token, associated_data=str(channel.id)
            )
        channel.save(force_insert=True)
        return channel
