import html as html_lib
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from banking.models import BankAccount
from tests.banking.factories import BankAccountFactory
from tests.onboarding.factories import UserFactory
from tests.structures.factories import MainManagerFactory, StructureFactory

pytestmark = [pytest.mark.django_db, pytest.mark.ignore_template_errors]  # Django's admin templates

CHANGELIST = reverse("admin:banking_bankaccount_changelist")
FULL_IBAN = "FR76 3000 6000 0112 3456 7890 189"
MASKED_IBAN = "FR76 **** **** **** **** ***0 189"


def page(response):
    return html_lib.unescape(response.content.decode())


def readonly(content, label):
    """The value the change page shows for a read-only field."""
    match = re.search(rf"<label>{re.escape(label)}\s*:</label>\s*<div class=\"readonly\">(.*?)</div>", content, re.S)
    return match and match.group(1).strip()


def change_url(account):
    return reverse("admin:banking_bankaccount_change", args=[account.pk])


def validate_url(account):
    return reverse("admin:banking_bankaccount_validate", args=[account.pk])


def reject_url(account):
    return reverse("admin:banking_bankaccount_reject", args=[account.pk])


@pytest.fixture
def onlooker():
    """Staff who may look at bank details (view permission) but not decide."""
    user = UserFactory(is_staff=True, email="accueil@grenoble.fr")
    user.user_permissions.add(
        Permission.objects.get(codename="view_bankaccount"),
        Permission.objects.get(codename="view_historicalbankaccount"),
    )
    return user


@pytest.fixture
def account():
    manager = MainManagerFactory(user__email="claire@menuiserie.fr").user
    return BankAccountFactory(structure=manager.structures.get(), created_by=manager)


def test_it_gives_the_finance_group_the_review_permission():
    permissions = set(Group.objects.get(name="Finance").permissions.values_list("content_type__app_label", "codename"))
    assert permissions >= {
        ("banking", "review_bankaccount"),
        ("banking", "view_bankaccount"),
        ("banking", "view_historicalbankaccount"),
        ("structures", "view_structure"),
        ("structures", "view_membership"),
    }
    assert (
        Permission.objects.get(codename="review_bankaccount").name
        == "Peut valider ou rejeter des coordonnées bancaires"
    )


def test_it_lists_pending_details_first_with_the_full_iban_for_finance(client, finance):
    old_validated = BankAccountFactory(validated=True)
    pending = BankAccountFactory()
    newer_rejected = BankAccountFactory(rejected=True)
    client.force_login(finance)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [pending, newer_rejected, old_validated]
    content = response.content.decode()
    assert FULL_IBAN in content
    assert reverse("banking:rib", args=[pending.pk]) in content
    assert "IBAN retrouvé dans le RIB" in content


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"status__exact": "en_attente"}, ["pending"]),
        ({"is_rib_change__exact": "1"}, ["change"]),
        ({"rib_check_status__exact": "to_review"}, ["scan"]),
        ({"country_code": "DE"}, ["german"]),
    ],
)
def test_it_filters_the_list(client, finance, query, expected):
    accounts = {
        "pending": BankAccountFactory(rib_check_status="iban_found"),
        "change": BankAccountFactory(validated=True, is_rib_change=True),
        "scan": BankAccountFactory(validated=True, rib_check_status="to_review"),
        "german": BankAccountFactory(
            rejected=True, country_code="DE", iban="DE89370400440532013000", bic="COBADEFFXXX"
        ),
    }
    client.force_login(finance)
    response = client.get(CHANGELIST, query)
    assert list(response.context["cl"].result_list) == [accounts[name] for name in expected]


def test_it_shows_the_holder_read_in_the_rib_beside_the_structure(client, finance, account):
    account.structure.raison_sociale = "Menuiserie Martin"
    account.structure.save()
    account.rib_holder, account.rib_holder_check = "SARL AUTRE COMPTE", "different"
    account.save()
    client.force_login(finance)
    content = page(client.get(change_url(account)))
    assert readonly(content, "Titulaire du RIB") == "différent"
    assert readonly(content, "Titulaire lu dans le RIB") == "SARL AUTRE COMPTE"
    assert readonly(content, "Comparé à") == "Menuiserie Martin"
    assert (
        "Titulaire du RIB différent : le RIB est au nom de « SARL AUTRE COMPTE », la structure est « Menuiserie "
        "Martin ». Avant de valider, vérifiez que ce compte est bien celui de la structure"
    ) in content


@pytest.mark.parametrize(
    "check, holder, shown",
    [("conforme", "SARL LES ATELIERS DU DRAC", "conforme"), ("illisible", "", "illisible")],
)
def test_it_shows_a_holder_that_matches_or_could_not_be_read(client, finance, account, check, holder, shown):
    account.rib_holder, account.rib_holder_check = holder, check
    account.save()
    client.force_login(finance)
    content = page(client.get(change_url(account)))
    assert readonly(content, "Titulaire du RIB") == shown
    assert readonly(content, "Titulaire lu dans le RIB") == (holder or "—")
    assert "Titulaire du RIB différent" not in content


def test_it_flags_pending_details_whose_holder_differs_in_the_list(client, finance):
    flagged = BankAccountFactory(rib_holder_check="different", rib_holder="SARL AUTRE COMPTE")
    BankAccountFactory(rib_holder_check="conforme", rib_holder="MENUISERIE MARTIN")
    BankAccountFactory(validated=True, rib_holder_check="different")  # already decided
    old = BankAccountFactory(validated=True)  # sent before the check existed
    assert old.rib_holder_check == "non_controle"
    client.force_login(finance)
    content = page(client.get(CHANGELIST))
    assert content.count("différent — à vérifier avant de valider") == 1
    assert content.count(">différent</td>") == 1 and ">conforme</td>" in content and ">non contrôlé</td>" in content
    response = client.get(CHANGELIST, {"status__exact": "en_attente", "rib_holder_check__exact": "different"})
    assert list(response.context["cl"].result_list) == [flagged]


def test_it_masks_the_iban_for_staff_who_may_only_look(client, onlooker, account):
    client.force_login(onlooker)
    for url in (CHANGELIST, change_url(account)):
        content = client.get(url).content.decode()
        assert MASKED_IBAN in content
        assert FULL_IBAN not in content and account.iban not in content
    assert ">Valider</button>" not in content
    assert "Rejeter (motif)" not in content


def test_it_shows_the_buttons_and_the_fraud_warning_to_finance(client, finance, account):
    account.is_rib_change = True
    account.save()
    client.force_login(finance)
    content = client.get(change_url(account)).content.decode()
    assert ">Valider</button>" in content
    assert reject_url(account) in content
    assert "Changement de RIB : cette structure a déjà des coordonnées bancaires validées" in content
    assert FULL_IBAN in content


def test_it_validates_from_the_change_page(client, finance, account, django_capture_on_commit_callbacks):
    in_use = BankAccountFactory(structure=account.structure, validated=True)
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(validate_url(account), follow=True)
    assert response.redirect_chain == [(change_url(account), 302)]
    account.refresh_from_db()
    in_use.refresh_from_db()
    assert (account.status, account.reviewed_by) == ("validees", finance)
    assert in_use.status == "remplacees"
    assert [message.to for message in mail.outbox] == [["claire@menuiserie.fr"]]
    assert "Coordonnées bancaires validées" in response.content.decode()
    # Shown once decided: no second decision from the page.
    assert ">Valider</button>" not in response.content.decode()


def test_it_only_validates_by_post(client, finance, account):
    client.force_login(finance)
    assert client.get(validate_url(account)).status_code == 405
    account.refresh_from_db()
    assert account.is_pending


def test_it_says_so_when_already_decided(client, finance):
    account = BankAccountFactory(rejected=True)
    client.force_login(finance)
    response = client.post(validate_url(account), follow=True)
    assert "ne sont plus en attente de validation (statut : Rejetées)" in response.content.decode()


def test_it_rejects_with_a_reason_from_the_change_page(client, finance, account, django_capture_on_commit_callbacks):
    client.force_login(finance)
    response = client.get(reject_url(account))
    assert response.status_code == 200
    assert "Motif du rejet" in response.content.decode()

    response = client.post(reject_url(account), {"reason": ""})
    assert "Indiquez le motif du rejet : le fournisseur doit savoir quoi corriger." in response.content.decode()
    account.refresh_from_db()
    assert account.is_pending

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reject_url(account), {"reason": "Le RIB est au nom d'une autre société."})
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.status, account.reviewed_by, account.rejection_reason) == (
        "rejetees",
        finance,
        "Le RIB est au nom d'une autre société.",
    )
    [message] = mail.outbox
    assert "Le RIB est au nom d'une autre société." in message.body


def test_it_refuses_decisions_to_staff_without_the_review_permission(client, onlooker, account):
    client.force_login(onlooker)
    assert client.post(validate_url(account)).status_code == 403
    assert client.get(reject_url(account)).status_code == 403
    assert client.post(reject_url(account), {"reason": "Non"}).status_code == 403
    response = client.post(CHANGELIST, {"action": "validate_selected", "_selected_action": [account.pk], "index": "0"})
    assert response.status_code == 200  # Django: « no action selected », nothing done
    account.refresh_from_db()
    assert account.is_pending
    assert mail.outbox == []


def test_it_validates_in_bulk(client, finance, django_capture_on_commit_callbacks):
    first, second = BankAccountFactory(), BankAccountFactory()
    already = BankAccountFactory(rejected=True)
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST,
            {"action": "validate_selected", "_selected_action": [first.pk, second.pk, already.pk], "index": "0"},
            follow=True,
        )
    assert set(BankAccount.objects.filter(status="validees")) == {first, second}
    content = response.content.decode()
    assert "2 coordonnées bancaires validées." in content
    assert "1 sélection ignorée : elle n&#x27;est plus en attente de validation." in content
    assert len(mail.outbox) == 2


def test_it_does_not_bulk_validate_two_new_sets_for_one_structure(client, finance):
    structure = StructureFactory()
    first, second = BankAccountFactory(structure=structure), BankAccountFactory(structure=structure)
    client.force_login(finance)
    response = client.post(
        CHANGELIST,
        {"action": "validate_selected", "_selected_action": [first.pk, second.pk], "index": "0"},
        follow=True,
    )
    assert "validez-les une par une" in response.content.decode()
    assert not BankAccount.objects.filter(status="validees").exists()


def test_it_rejects_in_bulk_after_asking_the_reason(client, finance, django_capture_on_commit_callbacks):
    first, second = BankAccountFactory(), BankAccountFactory()
    client.force_login(finance)
    selection = {"action": "reject_selected", "_selected_action": [first.pk, second.pk]}
    response = client.post(CHANGELIST, {**selection, "index": "0"})
    assert response.status_code == 200
    assert "Motif du rejet" in response.content.decode()
    assert not BankAccount.objects.filter(status="rejetees").exists()

    response = client.post(CHANGELIST, {**selection, "apply": "1", "reason": ""})
    assert "Indiquez le motif du rejet" in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, {**selection, "apply": "1", "reason": "RIB illisible."}, follow=True)
    assert "2 coordonnées bancaires rejetées." in response.content.decode()
    assert set(BankAccount.objects.filter(status="rejetees", rejection_reason="RIB illisible.")) == {first, second}
    assert len(mail.outbox) == 2


def test_it_cannot_add_change_or_delete_in_the_admin(client, finance, account):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    for user in (finance, superuser):
        client.force_login(user)
        assert client.get(reverse("admin:banking_bankaccount_add")).status_code == 403
        assert client.get(reverse("admin:banking_bankaccount_delete", args=[account.pk])).status_code == 403
        response = client.post(change_url(account), {"iban": "DE89370400440532013000"})
        assert response.status_code == 403
    account.refresh_from_db()
    assert account.iban == "FR7630006000011234567890189"


def change_of_iban(account, finance):
    account.iban = "FR7612107000010001234567826"
    account._history_user = finance
    account.save()
    account.status = "validees"
    account.reviewed_at = timezone.now()
    account.save()


def test_it_shows_the_history_with_the_iban_to_finance(client, finance, account):
    change_of_iban(account, finance)
    client.force_login(finance)
    response = client.get(reverse("admin:banking_bankaccount_history", args=[account.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "FR7630006000011234567890189" in content and "FR7612107000010001234567826" in content
    assert "Paul Agent" in content  # who changed it


def test_it_masks_the_iban_in_the_history_for_others(client, finance, onlooker, account):
    change_of_iban(account, finance)
    client.force_login(onlooker)
    response = client.get(reverse("admin:banking_bankaccount_history", args=[account.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "FR7630006000011234567890189" not in content and "FR7612107000010001234567826" not in content
    assert "FR76 **** **** **** **** ***7 826" in content
    record = account.history.earliest()
    response = client.get(reverse("admin:banking_bankaccount_simple_history", args=[account.pk, record.history_id]))
    assert response.status_code == 200
    content = response.content.decode()
    assert MASKED_IBAN in content and FULL_IBAN not in content and account.iban not in content
