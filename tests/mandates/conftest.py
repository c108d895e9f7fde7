import pytest
from django.contrib.auth.models import Group

from tests.factories import MainManagerFactory, UserFactory


@pytest.fixture
def manager():
    """A structure's main manager, active, with a password."""
    return MainManagerFactory(
        user__email="claire@menuiserie-martin.fr",
        structure__raison_sociale="Menuiserie Martin",
        structure__identifier="46430577000248",
    ).user


@pytest.fixture
def structure(manager):
    return manager.structures.get()


@pytest.fixture
def finance():
    user = UserFactory(is_staff=True, email="agent.finances@grenoble.fr")
    user.groups.add(Group.objects.get(name="Finance"))
    return user
