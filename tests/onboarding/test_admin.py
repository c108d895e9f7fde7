import pytest
from django.urls import reverse

from tests.onboarding.factories import PendingSupplierFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, email="agent@grenoble.fr"))
    return client


@pytest.mark.ignore_template_errors  # Django's own admin templates rely on undefined variables
def test_it_searches_users_by_name_and_email(admin_client):
    SupplierFactory(email="claire@menuiserie.fr", last_name="Martin")
    SupplierFactory(email="paul@plomberie.fr", last_name="Durand")
    response = admin_client.get(reverse("admin:onboarding_user_changelist"), {"q": "durand"})
    assert response.status_code == 200
    assert [u.email for u in response.context["cl"].result_list] == ["paul@plomberie.fr"]
    response = admin_client.get(reverse("admin:onboarding_user_changelist"), {"q": "menuiserie"})
    assert [u.email for u in response.context["cl"].result_list] == ["claire@menuiserie.fr"]


@pytest.mark.ignore_template_errors
def test_it_filters_users_by_active(admin_client):
    PendingSupplierFactory(email="attente@exemple.fr")
    response = admin_client.get(reverse("admin:onboarding_user_changelist"), {"is_active__exact": "0"})
    assert [u.email for u in response.context["cl"].result_list] == ["attente@exemple.fr"]


@pytest.mark.ignore_template_errors
def test_it_shows_and_adds_users_in_the_admin(admin_client):
    supplier = SupplierFactory()
    response = admin_client.get(reverse("admin:onboarding_user_change", args=[supplier.pk]))
    assert response.status_code == 200
    assert "12 rue Félix Poulat" in response.content.decode()
    response = admin_client.post(
        reverse("admin:onboarding_user_add"),
        {
            "email": "Nouvel.Agent@Grenoble.fr",
            "last_name": "Agent",
            "first_name": "Nouvel",
            "usable_password": "true",
            "password1": "Un-mot-de-passe-solide-42",
            "password2": "Un-mot-de-passe-solide-42",
            "profile-TOTAL_FORMS": "0",
            "profile-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
