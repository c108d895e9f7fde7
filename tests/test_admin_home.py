"""The admin's home triages: « À traiter » counts what waits for finance staff, the oldest first,
each line a link to its list filtered and sorted oldest first; in the same number of queries
whatever the number of rows."""

import html as html_lib
import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from banking.models import BankAccount
from invoices.models import Invoice
from mandates.models import BillingMandate
from structures.models import AttachmentRequest
from tests.banking.factories import BankAccountFactory
from tests.invoices.factories import InvoiceFactory
from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import SupplierFactory, UserFactory
from tests.structures.factories import MainManagerFactory, StructureFactory

pytestmark = [pytest.mark.django_db, pytest.mark.ignore_template_errors]  # Django's admin templates

ADMIN = reverse("admin:index")
# Session, user, the user's and the group's permissions, one query per list that counts what
# waits (bank details, attachment requests, mandates, invoices), the recent actions.
HOME_QUERIES = 9

MSG_REFUSED = "Factures refusées par Chorus Pro, à reprendre puis à transmettre de nouveau"
MSG_EXPIRING = "Mandats non signés dont le délai de signature se termine dans moins de 48 heures"
MSG_BANK = "Coordonnées bancaires à valider"
MSG_HOLDER = "Titulaire du RIB différent : à vérifier avant de valider"
MSG_NO_MANAGER = "Demandes de rattachement à une structure sans gestionnaire principal"
MSG_COMPLETED = "Factures complétées par le fournisseur (pièces ajoutées), à reprendre"


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def french_date(moment):
    with translation.override("fr"):
        return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def text(fragment):
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def triage(client):
    """The lines of « À traiter »: (label, note, count, since), and their links."""
    html = client.get(ADMIN).content.decode()
    if 'id="triage"' not in html:
        return [], []
    table = html.split('id="triage"')[1].split("</table>")[0]
    assert "<caption>À traiter</caption>" in table
    assert text(table.split("<tbody>")[0].split("<thead>")[1]) == (
        "Ce qui attend (le plus ancien en premier) Nombre En attente depuis le"
    )
    lines, links = [], []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1], re.S):
        label = re.search(r"<a href=\"([^\"]+)\">(.*?)</a>", row)
        note = re.search(r'<span class="triage__note">(.*?)</span>', row)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        lines.append((text(label[2]), text(note[1]) if note else "", int(cells[0]), text(cells[1])))
        links.append(html_lib.unescape(label[1]))
    return lines, links


@pytest.fixture
def morning():
    """What waits this morning, and what does not (already decided, or not the Ville's to do)."""
    period = timedelta(days=7)  # MANDATE_LINK_MAX_AGE
    bank_old = BankAccountFactory()
    bank_differs = BankAccountFactory(rib_holder_check="different", rib_holder="SARL AUTRE")
    BankAccountFactory(validated=True, rib_holder_check="different")
    BankAccountFactory(rejected=True)
    BankAccount.objects.filter(pk=bank_old.pk).update(created_at=ago(days=5))
    BankAccount.objects.filter(pk=bank_differs.pk).update(created_at=ago(days=4))

    lonely = StructureFactory(raison_sociale="Paysages du Vercors")
    request = AttachmentRequest.objects.create(user=SupplierFactory(), structure=lonely)
    AttachmentRequest.objects.filter(pk=request.pk).update(created_at=ago(days=2))
    AttachmentRequest.objects.create(user=SupplierFactory(), structure=MainManagerFactory().structure)  # its manager's
    AttachmentRequest.objects.create(user=SupplierFactory(), structure=lonely, status="refusee")

    refused_old = InvoiceFactory(transmission=Invoice.Transmission.REFUSED, deposited_at=ago(days=10))
    refused_new = InvoiceFactory(transmission=Invoice.Transmission.REFUSED, deposited_at=ago(days=8))
    completed = InvoiceFactory(status="completee", status_changed_at=ago(days=1), deposited_at=ago(days=20))
    InvoiceFactory(status="suspendue")  # waits for its supplier
    InvoiceFactory()  # « À transmettre »: the jobs send it

    expiring = BillingMandateFactory(generated_at=ago(days=6, hours=1))
    BillingMandateFactory(generated_at=ago(days=1))  # six days left
    BillingMandateFactory(generated_at=ago(days=8))  # past its deadline: the daily job marks it « expiré »
    BillingMandateFactory(signed=True, generated_at=ago(days=6, hours=2))
    return {
        "bank": [bank_old, bank_differs],
        "request": request,
        "refused": [refused_old, refused_new],
        "completed": completed,
        "expiring": expiring,
        "deadline": expiring.generated_at + period,
    }


def test_it_counts_what_waits_the_oldest_first_with_its_exact_words(client, finance, morning):
    client.force_login(finance)
    lines, _links = triage(client)
    deadline = timezone.localtime(morning["deadline"])
    with translation.override("fr"):
        note = f"Premier délai : {formats.date_format(deadline, 'DATETIME_FORMAT')}"
    assert lines == [
        (MSG_REFUSED, "", 2, french_date(morning["refused"][0].deposited_at)),
        (MSG_EXPIRING, note, 1, french_date(morning["expiring"].generated_at)),
        (MSG_BANK, "", 2, french_date(ago(days=5))),
        (MSG_HOLDER, "", 1, french_date(ago(days=4))),
        (MSG_NO_MANAGER, "", 1, french_date(ago(days=2))),
        (MSG_COMPLETED, "", 1, french_date(morning["completed"].status_changed_at)),
    ]


def test_it_links_each_line_to_its_list_filtered_the_oldest_first(client, finance, morning):
    client.force_login(finance)
    _lines, links = triage(client)
    expected = [
        list(morning["refused"]),
        [morning["expiring"]],
        list(morning["bank"]),
        [morning["bank"][1]],
        [morning["request"]],
        [morning["completed"]],
    ]
    for link, rows in zip(links, expected, strict=True):
        response = client.get(link)
        assert response.status_code == 200, link
        assert list(response.context["cl"].result_list) == rows, link
    assert links[2].startswith(reverse("admin:banking_bankaccount_changelist") + "?status__exact=en_attente&o=")
    assert "gestionnaire=aucun" in links[4] and "delai_de_signature=bientot" in links[1]


def test_it_says_when_nothing_waits(client, finance):
    client.force_login(finance)
    lines, _links = triage(client)
    assert sorted(label for label, *_rest in lines) == sorted(
        [MSG_REFUSED, MSG_EXPIRING, MSG_BANK, MSG_HOLDER, MSG_NO_MANAGER, MSG_COMPLETED]
    )
    assert {(count, since) for _label, _note, count, since in lines} == {(0, "—")}


def test_it_shows_only_the_lines_of_the_lists_staff_may_see(client, morning):
    onlooker = UserFactory(is_staff=True)
    onlooker.user_permissions.add(Permission.objects.get(codename="view_bankaccount"))
    client.force_login(onlooker)
    lines, _links = triage(client)
    assert [label for label, *_rest in lines] == [MSG_BANK, MSG_HOLDER]
    client.force_login(UserFactory(is_staff=True))  # no permission at all: no « À traiter »
    assert triage(client) == ([], [])


def test_it_keeps_the_lists_own_order_without_the_triages_link(client, finance, morning):
    """The oldest first only when asked: the bank details' list still shows the newest first."""
    client.force_login(finance)
    response = client.get(reverse("admin:banking_bankaccount_changelist"), {"status__exact": "en_attente"})
    assert list(response.context["cl"].result_list) == list(reversed(morning["bank"]))


def home_queries(client):
    client.get(ADMIN)  # the first request fills the caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ADMIN)
    assert response.status_code == 200
    return len(queries)


def test_it_costs_the_same_queries_at_100_and_at_1000_rows(client, finance):
    client.force_login(finance)
    call_command("fill_bulk_data", count=100, verbosity=0)
    waiting = BankAccount.objects.filter(status="en_attente").count()
    # « Actions récentes » with decisions, each shown with its object, message and type.
    for account in BankAccount.objects.filter(status="en_attente").order_by("pk")[:10]:
        client.post(reverse("admin:banking_bankaccount_validate", args=[account.pk]))
    assert LogEntry.objects.filter(user=finance).count() >= 3
    small = home_queries(client)
    call_command("fill_bulk_data", count=900, verbosity=0)
    assert BankAccount.objects.filter(status="en_attente").count() > 5 * waiting > 0
    assert BillingMandate.objects.filter(status="genere").exists()
    assert home_queries(client) == small == HOME_QUERIES


@pytest.mark.parametrize("url", [reverse("onboarding:landing"), reverse("admin:login")])
def test_supplier_and_admin_pages_link_the_city_favicon(client, url):
    # Without the link, browsers ask /favicon.ico, a 404 logged at every first visit.
    response = client.get(url)

    assert response.status_code == 200
    assert re.search(r'<link rel="icon" href="/static/favicon\.svg"', response.content.decode())
