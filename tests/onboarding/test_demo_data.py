import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from invoices.models import Service

pytestmark = pytest.mark.django_db


def test_it_creates_the_finance_account_and_the_services_once(capsys, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-Grenoble-2026")
    call_command("demo_data")
    call_command("demo_data")
    staff = get_user_model().objects.get(email="finances@grenoble.example")
    assert staff.is_staff and staff.check_password("Demo-Grenoble-2026")
    assert list(staff.groups.values_list("name", flat=True)) == ["Finance"]
    assert staff.has_perm("banking.review_bankaccount")
    assert Service.objects.count() == 4
    assert "finances@grenoble.example / password: (DEMO_PASSWORD)" in capsys.readouterr().out


def test_it_prints_a_generated_password_without_demo_password(capsys, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("demo_data")
    out = capsys.readouterr().out
    password = out.split("password: ")[1].split()[0]
    assert get_user_model().objects.get(email="finances@grenoble.example").check_password(password)


def test_it_gives_the_finance_account_an_app_and_recovery_codes_that_open_the_admin(capsys, monkeypatch):
    import re

    from django.test import Client
    from django.urls import reverse

    monkeypatch.setenv("DEMO_PASSWORD", "Demo-Grenoble-2026")
    call_command("demo_data")
    out = capsys.readouterr().out
    assert "Authenticator app key (type it by hand, time-based): " in out
    codes = re.findall(r"\b[a-z0-9]{4}-[a-z0-9]{4}\b", out.split("recovery codes:")[1])
    assert len(codes) == 10
    client = Client()
    client.post(
        reverse("twofactor:login") + "?next=/admin/",
        {"username": "finances@grenoble.example", "password": "Demo-Grenoble-2026"},
    )
    assert client.post(reverse("twofactor:login_code"), {"code": codes[0]})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db(transaction=True)  # e-mails leave on commit, as in `make demo`
def test_it_prints_the_credentials_in_one_block_after_any_e_mail(capsys, monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # as in `make demo`
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("demo_data")
    out = capsys.readouterr().out
    block = out[out.index("=" * 79) :]
    assert "Subject:" in out[: out.index("=" * 79)]  # the security notice, printed before
    assert "Subject:" not in block and "Content-Type" not in block
    assert "password: " in block and "recovery codes:" in block
