import pytest
from django.core import mail
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from banking.models import BankAccount
from tests.banking import pdfs
from tests.banking.factories import BankAccountFactory
from tests.onboarding.factories import UserFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("banking:add")
IBAN = "FR7630006000011234567890189"
MSG_CHOOSE_AGAIN = (
    "Pour votre sécurité, le fichier joint n&#x27;a pas été conservé à cause de l&#x27;erreur ailleurs dans le "
    "formulaire : choisissez-le à nouveau avant de valider."
)


def post_data(content=None, **overrides):
    values = {
        "account_name": "Compte principal",
        "account_type": "iban",
        "country_code": "FR",
        "check_digits": "",
        "bban": "FR76 3000 6000 0112 3456 7890 189",
        "bic": "AGRIFRPP881",
        "attachment_type": "coordonnee_bancaire",
        "rib_file": SimpleUploadedFile(
            "RIB Martin.pdf", pdfs.rib_pdf() if content is None else content, content_type="application/pdf"
        ),
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def test_it_shows_the_add_page_to_a_main_manager(client, manager, django_assert_num_queries):
    client.force_login(manager)
    with django_assert_num_queries(4):  # session, user, the managed structures, their bank details
        response = client.get(ADD_URL)
    assert response.status_code == 200
    content = response.content.decode()
    for text in (
        "Ajouter des coordonnées bancaires",
        "Nom du compte bancaire",
        "Code pays",
        "Clé IBAN",
        "Identification internationale (IBAN)",
        "BIC ou Swift",
        "Fichier",
        "Type de pièce jointe",
        "Affactureur",
        ">Valider</button>",
        'enctype="multipart/form-data"',
    ):
        assert text in content
    assert "Structure</legend>" not in content  # one structure: nothing to choose


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(ADD_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("twofactor:login"))


def test_it_refuses_the_page_to_a_member_who_is_not_main_manager(client):
    member = MembershipFactory().user
    client.force_login(member)
    assert client.get(ADD_URL).status_code == 403


@pytest.mark.parametrize("value", ["other", "abc", "9999"])
def test_it_hides_structures_the_user_does_not_manage(client, manager, value):
    other = MainManagerFactory().structure
    MembershipFactory(user=manager, structure=other)  # a mere member of it
    client.force_login(manager)
    structure = str(other.pk) if value == "other" else value
    assert client.get(ADD_URL, {"structure": structure}).status_code == 404
    assert client.post(f"{ADD_URL}?structure={structure}", post_data()).status_code == 404
    assert not BankAccount.objects.exists()


def test_it_records_the_bank_details_and_shows_them_grouped_by_4(client, manager, structure):
    client.force_login(manager)
    response = client.post(f"{ADD_URL}?structure={structure.pk}", post_data(), follow=True)
    account = BankAccount.objects.get()
    assert response.redirect_chain == [(reverse("banking:detail", args=[account.pk]), 302)]
    assert (account.structure, account.iban, account.created_by) == (structure, IBAN, manager)
    content = response.content.decode()
    assert "FR76 3000 6000 0112 3456 7890 189" in content
    assert "En attente de validation" in content
    assert "IBAN retrouvé dans le RIB" in content
    assert "Vos coordonnées bancaires sont enregistrées." in content
    assert reverse("banking:rib", args=[account.pk]) in content


def test_it_lets_a_manager_of_several_structures_choose(client, manager, structure):
    second = MainManagerFactory(user=manager).structure
    client.force_login(manager)
    response = client.get(ADD_URL)
    content = response.content.decode()
    assert "Structure</legend>" in content
    assert f'<option value="{second.pk}">' in content
    response = client.post(ADD_URL, post_data(structure=str(second.pk)))
    assert response.status_code == 302
    assert BankAccount.objects.get().structure == second


def test_it_refuses_a_structure_choice_outside_the_managed_ones(client, manager):
    MainManagerFactory(user=manager)
    other = MainManagerFactory().structure
    client.force_login(manager)
    response = client.post(ADD_URL, post_data(structure=str(other.pk)))
    assert response.status_code == 200
    assert "Choisissez une des structures dont vous êtes gestionnaire principal." in response.content.decode()
    assert not BankAccount.objects.exists()


def test_it_keeps_what_was_typed_and_asks_for_the_file_again(client, manager):
    client.force_login(manager)
    response = client.post(ADD_URL, post_data(bban="30006000011234567890180", check_digits="76"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Le formulaire contient des erreurs" in content
    assert "La clé IBAN ne correspond pas au reste de l&#x27;IBAN : vérifiez chaque caractère." in content
    assert MSG_CHOOSE_AGAIN in content
    assert 'value="Compte principal"' in content
    assert 'value="30006000011234567890180"' in content
    assert 'value="AGRIFRPP881"' in content
    assert not BankAccount.objects.exists()


def test_it_shows_the_iban_found_in_the_rib_when_it_differs(client, manager):
    client.force_login(manager)
    response = client.post(ADD_URL, post_data(content=pdfs.rib_pdf(pdfs.OTHER_IBAN)))
    assert response.status_code == 200
    assert (
        "Le RIB contient l&#x27;IBAN DE89 3704 0044 0532 0130 00, différent de celui saisi : corrigez l&#x27;IBAN "
        "saisi ou joignez le bon RIB."
    ) in response.content.decode()


@pytest.mark.parametrize(
    "content",
    [pdfs.png_bytes(), pdfs.truncated_pdf(), pdfs.encrypted_pdf(), pdfs.javascript_pdf("names"), b""],
    ids=["png", "truncated", "encrypted", "javascript", "empty"],
)
def test_it_answers_bad_files_with_a_message_not_a_500(client, manager, content):
    client.force_login(manager)
    response = client.post(ADD_URL, post_data(content=content))
    assert response.status_code == 200
    assert "field--error" in response.content.decode()
    assert not BankAccount.objects.exists()


def test_it_refuses_a_rib_too_costly_to_read_and_stores_nothing(client, manager, private_media):
    client.force_login(manager)
    response = client.post(ADD_URL, post_data(content=pdfs.costly_pdf()))
    assert response.status_code == 200
    assert (
        "Ce PDF est trop complexe pour être lu automatiquement : joignez seulement le RIB, tel que fourni par votre "
        "banque."
    ) in response.content.decode()
    assert not BankAccount.objects.exists()
    assert not any(path.is_file() for path in private_media.rglob("*"))


def test_it_answers_a_missing_file_with_a_message(client, manager):
    client.force_login(manager)
    data = post_data()
    del data["rib_file"]
    response = client.post(ADD_URL, data)
    assert response.status_code == 200
    assert (
        "Joignez votre RIB au format PDF (taille maximale par fichier : 4096 kilo-octets)." in response.content.decode()
    )


def test_it_warns_of_a_change_of_rib_and_alerts_the_members(
    client, manager, structure, django_capture_on_commit_callbacks
):
    BankAccountFactory(structure=structure, validated=True, created_by=manager)
    client.force_login(manager)
    response = client.get(ADD_URL)
    assert "Votre structure a déjà des coordonnées bancaires validées" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD_URL, post_data(), follow=True)
    content = response.content.decode()
    assert "Les coordonnées déjà validées restent utilisées" in content
    assert "Changement de RIB" in content
    assert BankAccount.objects.filter(is_rib_change=True, status="en_attente").count() == 1
    # The members' alert of a change of RIB; the sender, a member, gets it instead of a security
    # notice of their own: one e-mail per event and person.
    assert manager.email == "claire@menuiserie-martin.fr"
    assert [(message.to[0], message.subject) for message in mail.outbox] == [
        ("claire@menuiserie-martin.fr", f"Nouvelles coordonnées bancaires envoyées pour {structure.raison_sociale}"),
    ]


def test_it_says_so_when_the_storage_fails(client, manager, monkeypatch):
    def broken_save(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(storages["private"], "save", broken_save)
    client.force_login(manager)
    response = client.post(ADD_URL, post_data())
    assert response.status_code == 200
    assert "Votre RIB n&#x27;a pas pu être enregistré" in response.content.decode()
    assert not BankAccount.objects.exists()


def test_it_shows_the_details_to_members_only(client, structure):
    account = BankAccountFactory(structure=structure)
    member = MembershipFactory(structure=structure).user
    client.force_login(member)
    assert client.get(reverse("banking:detail", args=[account.pk])).status_code == 200
    client.force_login(MainManagerFactory().user)
    assert client.get(reverse("banking:detail", args=[account.pk])).status_code == 404


# --- the RIB file ---------------------------------------------------------------------------


def rib_url(account):
    return reverse("banking:rib", args=[account.pk])


def test_it_serves_the_rib_to_a_member_with_safe_headers(client, structure, django_assert_num_queries):
    account = BankAccountFactory(structure=structure, rib_original_name="RIB Menuiserie Martin.pdf")
    member = MembershipFactory(structure=structure).user
    client.force_login(member)
    with django_assert_num_queries(3):  # session, user, the account with the membership check
        response = client.get(rib_url(account))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="RIB Menuiserie Martin.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == pdfs.rib_pdf()


def test_it_serves_the_rib_to_finance_staff(client, finance, django_assert_num_queries):
    account = BankAccountFactory()
    client.force_login(finance)
    with django_assert_num_queries(5):  # session, user, account, the user's and groups' permissions
        response = client.get(rib_url(account))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_it_hides_the_rib_from_another_structure_s_member(client, structure):
    account = BankAccountFactory(structure=structure)
    client.force_login(MainManagerFactory().user)
    assert client.get(rib_url(account)).status_code == 404


def test_it_hides_the_rib_from_staff_without_the_review_permission(client):
    account = BankAccountFactory()
    client.force_login(UserFactory(is_staff=True))
    assert client.get(rib_url(account)).status_code == 404
    assert client.get(reverse("banking:rib", args=[account.pk + 1])).status_code == 404


def test_it_never_serves_the_rib_through_a_media_url(client, structure):
    account = BankAccountFactory(structure=structure)
    client.force_login(MembershipFactory(structure=structure).user)
    assert client.get("/" + account.rib_file.name).status_code == 404


def test_it_answers_404_when_the_file_is_gone(client, structure):
    account = BankAccountFactory(structure=structure)
    account.rib_file.storage.delete(account.rib_file.name)
    client.force_login(MembershipFactory(structure=structure).user)
    assert client.get(rib_url(account)).status_code == 404


def test_it_encodes_a_non_ascii_original_name(client, structure):
    account = BankAccountFactory(structure=structure, rib_original_name="RIB Société générale.pdf")
    client.force_login(MembershipFactory(structure=structure).user)
    response = client.get(rib_url(account))
    assert (
        response["Content-Disposition"]
        == "attachment; filename*=utf-8''RIB%20Soci%C3%A9t%C3%A9%20g%C3%A9n%C3%A9rale.pdf"
    )
