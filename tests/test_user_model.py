import pytest
from django.db import IntegrityError, transaction

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_user_ids_are_uuids_and_emails_are_stored_lower_case():
    user = User.objects.create_user("Ada@Example.COM", "correct horse battery staple")

    assert len(str(user.pk)) == 36
    assert user.email == "ada@example.com"
    assert User.objects.get_by_natural_key("ADA@example.com") == user


def test_the_database_refuses_the_same_email_in_another_case():
    User.objects.create_user("ada@example.com", "correct horse battery staple")

    with pytest.raises(IntegrityError), transaction.atomic():
        # Bypass the manager's normalisation: the constraint itself must hold.
        User.objects.create(email="ADA@example.com")

    assert User.objects.count() == 1
