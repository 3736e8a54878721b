"""Factories for the realtime tests."""

import factory

from accounts.models import User
from providers.platforms import Platform
from uploads.models import Job


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"creator{n}@example.com")
    name = factory.Faker("name")
    password = "!"  # an unusable password: sockets authenticate with tokens only


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    user = factory.SubFactory(UserFactory)
    platform = Platform.YOUTUBE
    asset_url = "https://cdn.example.com/episode.mp4"
    title = factory.Sequence(lambda n: f"Episode {n}")
