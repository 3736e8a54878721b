"""Factories for the realtime tests."""

import factory

from accounts.models import User
from channels_app.models import Channel, ChannelStatus
from providers.platforms import Platform
from uploads.models import Job


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"creator{n}@example.com")
    name = factory.Faker("name")
    password = "!"  # an unusable password: sockets authenticate with tokens only


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    user = factory.SubFactory(UserFactory)
    platform = Platform.YOUTUBE
    provider_channel_id = factory.Sequence(lambda n: f"UC{n:022d}")
    display_name = "My channel"
    status = ChannelStatus.ACTIVE


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    user = factory.SubFactory(UserFactory)
    channel = factory.SubFactory(ChannelFactory, user=factory.SelfAttribute("..user"))
    platform = factory.SelfAttribute("channel.platform")
    asset_url = "https://cdn.example.com/episode.mp4"
    title = factory.Sequence(lambda n: f"Episode {n}")
