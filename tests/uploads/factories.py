from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import User
from billing.models import Plan
from channels_app.models import Channel, ChannelStatus
from core import crypto
from providers.platforms import Platform
from uploads.models import Job, JobStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"creator{n}@example.com")
    plan = factory.LazyFunction(lambda: Plan.objects.get(code="free"))


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    platform = Platform.YOUTUBE
    provider_channel_id = factory.Sequence(lambda n: f"UC{n:022d}")
    display_name = "My channel"
    status = ChannelStatus.ACTIVE

    @factory.post_generation
    def refresh_token(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.refresh_token_encrypted = crypto.encrypt(
            extracted or "fake-refresh-token", associated_data=str(self.id)
        )
        if create:
            self.save(update_fields=["refresh_token_encrypted"])


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    channel = factory.SubFactory(ChannelFactory)
    user = factory.SelfAttribute("channel.user")
    platform = factory.SelfAttribute("channel.platform")
    asset_url = "https://cdn.example.com/video.mp4"
    title = factory.Sequence(lambda n: f"Episode {n}")
    status = JobStatus.QUEUED
    quota_period = factory.LazyFunction(lambda: timezone.now().date().replace(day=1))
