import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from chorus import stub
from tests.clients import VerifiedClient
from tests.onboarding.factories import UserFactory
from tests.structures.factories import MainManagerFactory


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Each test writes supplier files into its own folder."""
    root = tmp_path / "private-media"
    settings.PRIVATE_MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": root, "base_url": None}},
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": root, "base_url": None}},
    }
    return root


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://fournisseurs.grenoble.test"
    return settings.SITE_URL


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate limits count in the cache: each test starts with none spent."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    return VerifiedClient()


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser(
        email="admin@grenoble.fr",
        password="Un-mot-de-passe-solide-42",
        last_name="Admin",
        first_name="Agent",
        second_factor="totp",
    )


@pytest.fixture
def admin_client(admin_user):
    client = VerifiedClient()
    client.force_login(admin_user)
    return client


# People and structures the apps' tests share.


@pytest.fixture
def manager(db):
    """Claire Martin, main manager of « Menuiserie Martin » (active, with a password)."""
    return MainManagerFactory(
        user__email="claire@menuiserie-martin.fr",
        structure__raison_sociale="Menuiserie Martin",
        structure__identifier="46430577000248",
    ).user


@pytest.fixture
def structure(manager):
    return manager.structures.get()


@pytest.fixture
def finance(db):
    """Finance staff of the city (the « Finance » group), with an authenticator app."""
    user = UserFactory(is_staff=True, email="agent.finances@grenoble.fr", first_name="Paul", last_name="Agent")
    user.groups.add(Group.objects.get(name="Finance"))
    return user


# The national portal (chorus/): its in-process stub, and a clock that moves without sleeping.


@pytest.fixture
def stub_portal(settings, db):
    settings.CHORUS_BACKEND = "stub"
    settings.CHORUS_CITY_SIRET = "21380185500015"
    settings.CHORUS_STUB_STEP_SECONDS = 60
    return settings


class Clock:
    """The stub's clock, moved by hand: time passes without sleeping."""

    def __init__(self, start):
        self.current = start

    def __call__(self):
        return self.current

    def advance(self, **delta):
        self.current += datetime.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    moment = Clock(timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0)))
    monkeypatch.setattr(stub, "now", moment)
    return moment
