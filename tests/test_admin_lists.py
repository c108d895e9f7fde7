"""The finance staff's admin lists cost the same number of SQL queries whatever the number of
rows (no query per row), and their searches by SIRET, SIREN, IBAN, reference or invoice number
are exact, indexed lookups (issue 9; `make bench` measures them at 100 000 rows, EXPLAIN
included)."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from banking.models import BankAccount
from invoices.models import Invoice
from mandates.models import BillingMandate
from structures.models import Structure

# Each list costs: session, user, the count, the page of rows (with its related rows joined),
# and the distinct values of a free-text filter; a search or filter adds the unfiltered count.
MAX_QUERIES = 8


def admin_lists():
    siret, iban, mandate = sample()
    invoice = Invoice.objects.order_by("pk").first()
    lists = {
        "structures": "/admin/structures/structure/",
        "structures by SIRET": f"/admin/structures/structure/?q={siret}",
        "structures by name": "/admin/structures/structure/?q=Menuiserie",
        "memberships": "/admin/structures/membership/",
        "attachment requests": "/admin/structures/attachmentrequest/",
        "bank details": "/admin/banking/bankaccount/",
        "bank details pending": "/admin/banking/bankaccount/?status__exact=en_attente",
        "bank details by IBAN": f"/admin/banking/bankaccount/?q={iban}",
        "mandates": "/admin/mandates/billingmandate/",
        "mandates by SIRET": f"/admin/mandates/billingmandate/?q={siret}",
        "mandates by reference": f"/admin/mandates/billingmandate/?q={mandate.reference}",
        "users": "/admin/onboarding/user/",
        "invoices": "/admin/invoices/invoice/",
        "invoices by number": f"/admin/invoices/invoice/?q={invoice.number}",
        "invoices by SIRET": f"/admin/invoices/invoice/?q={invoice.structure.identifier}",
        "invoices by status": "/admin/invoices/invoice/?status__exact=mise_en_paiement",
        "invoices of a structure": f"/admin/invoices/invoice/?structure__id__exact={invoice.structure_id}",
    }
    return lists


def sample():
    account = (
        BankAccount.objects.select_related("structure")
        .filter(structure__identifier_type="siret")
        .order_by("pk")
        .first()
    )
    mandate = BillingMandate.objects.filter(structure=account.structure).first()
    return account.structure.identifier, account.iban, mandate


def queries_of(client, url):
    client.get(url)  # the first request of a list fills its caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.django_db
def test_it_costs_the_same_queries_at_100_and_at_1000_rows(admin_client):
    call_command("fill_bulk_data", count=100, verbosity=0)
    small = {name: queries_of(admin_client, url) for name, url in admin_lists().items()}
    invoices = Invoice.objects.count()
    call_command("fill_bulk_data", count=900, verbosity=0)
    assert Structure.objects.count() == BankAccount.objects.count() == BillingMandate.objects.count() == 1000
    assert 0 < invoices * 5 < Invoice.objects.count()
    large = {name: queries_of(admin_client, url) for name, url in admin_lists().items()}
    assert large == small
    assert max(large.values()) <= MAX_QUERIES, large


@pytest.mark.django_db
def test_it_finds_a_structure_by_its_siret_or_siren(admin_client):
    call_command("fill_bulk_data", count=50, verbosity=0)
    siret, _iban, _mandate = sample()
    spaced = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    for term in (siret, spaced):
        response = admin_client.get("/admin/structures/structure/", {"q": term})
        assert list(response.context["cl"].result_list) == [Structure.objects.get(identifier=siret)]
    response = admin_client.get("/admin/structures/structure/", {"q": siret[:9]})
    assert [s.identifier for s in response.context["cl"].result_list] == [siret]


@pytest.mark.django_db
def test_it_finds_bank_details_by_iban_written_in_groups(admin_client):
    call_command("fill_bulk_data", count=50, verbosity=0)
    _siret, iban, _mandate = sample()
    grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)).lower()
    response = admin_client.get("/admin/banking/bankaccount/", {"q": grouped})
    assert [a.iban for a in response.context["cl"].result_list] == [iban]


@pytest.mark.django_db
def test_it_does_not_search_by_iban_for_staff_who_may_only_look(client, django_user_model):
    from django.contrib.auth.models import Permission

    call_command("fill_bulk_data", count=20, verbosity=0)
    _siret, iban, _mandate = sample()
    viewer = django_user_model.objects.create_user(
        "lecture@grenoble.example", "Un-mot-de-passe-solide-42", is_staff=True, second_factor="totp"
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_bankaccount"))
    client.force_login(viewer)
    response = client.get("/admin/banking/bankaccount/", {"q": iban})
    assert list(response.context["cl"].result_list) == []


@pytest.mark.django_db
def test_it_finds_a_mandate_by_its_reference_or_its_structures_siret(admin_client):
    call_command("fill_bulk_data", count=50, verbosity=0)
    siret, _iban, mandate = sample()
    for term in (mandate.reference, mandate.reference.lower(), siret):
        response = admin_client.get("/admin/mandates/billingmandate/", {"q": term})
        assert list(response.context["cl"].result_list) == [mandate], term


@pytest.mark.django_db
def test_it_finds_an_invoice_by_its_number_or_its_engagement_number_in_any_case(admin_client):
    call_command("fill_bulk_data", count=50, verbosity=0)
    invoice = Invoice.objects.exclude(engagement_number="").order_by("pk").first()
    same_number = set(Invoice.objects.filter(number=invoice.number))  # numbered by each supplier
    for term in (invoice.number, invoice.number.lower(), f"  {invoice.number} "):
        response = admin_client.get("/admin/invoices/invoice/", {"q": term})
        assert set(response.context["cl"].result_list) == same_number, term
    response = admin_client.get("/admin/invoices/invoice/", {"q": invoice.engagement_number.lower()})
    assert list(response.context["cl"].result_list) == [invoice]
    response = admin_client.get("/admin/invoices/invoice/", {"q": invoice.structure.raison_sociale.split()[0]})
    assert invoice in response.context["cl"].result_list  # a name: « contains », as before


@pytest.mark.django_db
def test_it_finds_the_invoices_of_a_structure_by_its_siret_and_lists_no_structure_in_the_filter(admin_client):
    call_command("fill_bulk_data", count=50, verbosity=0)
    invoice = Invoice.objects.filter(structure__identifier_type="siret").order_by("pk").first()
    structure = invoice.structure
    response = admin_client.get("/admin/invoices/invoice/", {"q": structure.identifier})
    assert set(response.context["cl"].result_list) == set(structure.invoices.all())
    # The structure filter offers only the structure chosen (from a row's link), never them all.
    html = admin_client.get("/admin/invoices/invoice/").content.decode()
    assert f'href="?structure__id__exact={structure.pk}"' in html
    assert f"?structure__id__exact={structure.pk}" not in html.split('id="changelist-filter"')[1]
    response = admin_client.get("/admin/invoices/invoice/", {"structure__id__exact": structure.pk})
    assert set(response.context["cl"].result_list) == set(structure.invoices.all())
    filters = response.content.decode().split('id="changelist-filter"')[1]
    assert str(structure) in filters or str(structure).replace("'", "&#x27;") in filters
