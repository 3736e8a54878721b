"""factory_boy factories shared by every test package: one per model, with one set of defaults.

- ``UserFactory``: a user on the free plan whose password is ``raw_password`` (default below).
- ``GoogleProjectFactory``: a creator's own Google project, its client secret sealed.
- ``ChannelFactory``: an ACTIVE YouTube channel holding an (encrypted) OAuth grant, what an
  upload needs. ``ManualChannelFactory``: an ACTIVE Spotify listing without a grant.
- ``JobFactory``: a QUEUED upload job on a channel of its user, holding this month's quota slot.
- ``ShowFactory``: a podcast show that passes Apple's checks.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import User
from billing.selectors import plan_default
from channels_app.models import Channel, ChannelStatus, GoogleProject
from core import crypto
from podcasts.links import podcast_guid_for
from podcasts.models import Show
from providers.platforms import Platform
from uploads.models import Job, JobStatus

DEFAULT_PASSWORD = "correct horse battery staple"
DEFAULT_REFRESH_TOKEN = "fake-refresh-token"


@cache
def _password_hash(raw: str) -> str:
    """Argon2 is slow on purpose: hash each distinct test password once per run."""
    return make_password(raw)


class UserFactory(factory.django.DjangoModelFactory):
    """A user on the free plan whose password is ``raw_password`` (default above)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        raw_password = DEFAULT_PASSWORD

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    plan = factory.LazyFunction(plan_default)
    password = factory.LazyAttribute(lambda o: _password_hash(o.raw_password))


class GoogleProjectFactory(factory.django.DjangoModelFactory):
    """A creator's own Google project; ``client_secret=...`` is stored sealed to the row."""

    class Meta:
        model = GoogleProject

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    client_id = factory.Sequence(lambda n: f"{100000 + n}-own.apps.googleusercontent.com")
    daily_uploads = 100
    daily_units = 10000
    client_secret = "GOCSPX-own-client-secret"  # popped in _create: stored sealed, never a field

    @classmethod
    def _create(cls, model_class: type[GoogleProject], *args: Any, **kwargs: Any) -> GoogleProject:
        client_secret = kwargs.pop("client_secret")
        project = model_class(*args, **kwargs)
        project.client_secret_encrypted = crypto.encrypt(
            client_secret, associated_data=str(project.id)
        )
        project.save(force_insert=True)
        return project


class ChannelFactory(factory.django.DjangoModelFactory):
    """An ACTIVE YouTube channel; ``refresh_token=...`` is stored encrypted for the channel
    (``refresh_token=""`` stores no grant)."""

    class Meta:
        model = Channel

    user = factory.SubFactory(UserFactory)
    platform = Platform.YOUTUBE
    provider_channel_id = factory.Sequence(lambda n: f"UC{n:022d}")
    display_name = factory.Sequence(lambda n: f"Channel {n}")
    status = ChannelStatus.ACTIVE
    refresh_token = DEFAULT_REFRESH_TOKEN  # popped in _create: stored encrypted, never a field

    @classmethod
    def _create(cls, model_class: type[Channel], *args: Any, **kwargs: Any) -> Channel:
        refresh_token = kwargs.pop("refresh_token", "")
        channel = model_class(*args, **kwargs)
        if refresh_token:
            channel.refresh_token_encrypted = crypto.encrypt(
                refresh_token, associated_data=str(channel.id)
            )
        channel.save(force_insert=True)
        return channel

    @classmethod
    def _build(cls, model_class: type[Channel], *args: Any, **kwargs: Any) -> Channel:
        kwargs.pop("refresh_token", None)
        return model_class(*args, **kwargs)


class ManualChannelFactory(ChannelFactory):
    """An ACTIVE Spotify listing (a manual platform): no grant to store."""

    platform = Platform.SPOTIFY
    provider_channel_id = factory.Sequence(lambda n: f"{n:022d}")
    refresh_token = ""


class JobFactory(factory.django.DjangoModelFactory):
    """A QUEUED job on a channel of its user, holding this month's quota slot."""

    class Meta:
        model = Job

    channel = factory.SubFactory(ChannelFactory)  # for a given user: ``channel__user=user``
    user = factory.SelfAttribute("channel.user")
    platform = factory.SelfAttribute("channel.platform")
    asset_url = "https://cdn.example.com/video.mp4"
    title = factory.Sequence(lambda n: f"Episode {n}")
    status = JobStatus.QUEUED
    quota_period = factory.LazyFunction(lambda: timezone.now().date().replace(day=1))


class ShowFactory(factory.django.DjangoModelFactory):
    """A podcast show of its user that passes Apple's checks (``show.podcast_guid`` as created
    by ``podcasts.services.show_create``)."""

    class Meta:
        model = Show

    id = factory.Faker("uuid4", cast_to=None)
    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Show {n}")
    description = "Conversations at night."
    author = "Ada Creator"
    owner_email = "ada@example.com"
    image_url = "https://cdn.example.com/art.jpg"
    language = "en"
    category = "Society & Culture"
    podcast_guid = factory.LazyAttribute(lambda o: podcast_guid_for(o.id))
