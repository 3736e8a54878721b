"""factory_boy factories shared by every test package."""

from __future__ import annotations

from functools import cache

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import User
from billing.selectors import plan_default

DEFAULT_PASSWORD = "correct horse battery staple"


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
