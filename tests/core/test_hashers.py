import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher, make_password
from django.urls import reverse

from core.hashers import Argon2idHasher

pytestmark = pytest.mark.django_db
PASSWORD = "Un-mot-de-passe-solide-42"


def test_it_hashes_new_passwords_with_argon2id_at_owasps_minimum_cost():
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert isinstance(identify_hasher(encoded), Argon2idHasher)


def test_it_upgrades_a_pbkdf2_hash_at_the_next_login(client):
    user = get_user_model().objects.create_user(email="claire@menuiserie.fr", last_name="Martin", first_name="Claire")
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    response = client.post(reverse("twofactor:login"), {"username": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("twofactor:login_code")  # the password was right
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_it_upgrades_a_hash_made_with_djangos_heavier_argon2_settings():
    user = get_user_model().objects.create_user(email="paul@menuiserie.fr", last_name="Durand", first_name="Paul")
    heavy = Argon2idHasher()
    heavy.memory_cost, heavy.parallelism = 102400, 8
    user.password = heavy.encode(PASSWORD, heavy.salt())
    user.save(update_fields=["password"])
    assert user.check_password(PASSWORD)  # what the login does
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password
