"""Factories of onboarding's models: users, supplier profiles."""

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from onboarding.models import SupplierProfile, User

DEFAULT_PASSWORD = "Un-mot-de-passe-solide-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"fournisseur{n}@exemple.fr")
    last_name = "Martin"
    first_name = "Claire"
    is_active = True
    password = factory.django.Password(DEFAULT_PASSWORD)
    # Finance staff need an authenticator app for the admin (twofactor/admin_site.py).
    is_staff = False
    second_factor = factory.LazyAttribute(lambda user: "totp" if user.is_staff else "email")


class SupplierProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierProfile

    user = factory.SubFactory(UserFactory)
    address = "12 rue Félix Poulat"
    postcode = "38000"
    city = "Grenoble"
    country = "FR"
    phone = "+33476763636"
    terms_accepted_at = factory.LazyFunction(timezone.now)


class SupplierFactory(UserFactory):
    """A supplier's user with its profile."""

    class Meta:
        skip_postgeneration_save = True

    profile = factory.RelatedFactory(SupplierProfileFactory, factory_related_name="user")


class PendingSupplierFactory(SupplierFactory):
    """An account created by the wizard, not yet activated by its link."""

    is_active = False
    password = factory.LazyFunction(lambda: make_password(None))  # unusable
