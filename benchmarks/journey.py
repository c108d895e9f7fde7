"""A supplier's complete registration, page by page, as a browser posts it.

The same journey runs over HTTP against gunicorn (`HttpTransport`, timed) or in the
benchmark's own process through Django's test client (`DjangoTransport`, which counts each
page's SQL queries with CaptureQueriesContext): the two can never drift apart.

The wizard (onboarding/wizard.py, tests/wizard.py) is driven like a browser: step fields
prefixed with the step name, the management field `onboarding_wizard-current_step`, the
captcha answered with the test word (CAPTCHA_TEST_MODE), the CSRF token from its cookie.
A new structure each time: an EU supplier without SIRET (a Belgian VAT number, unique per
journey), since the stub directory knows only a few SIRETs; the SIRET lookup page itself is
measured on one of them without being kept.
"""

import io
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

WIZARD = "onboarding_wizard"
DIRECTORY_SIRET = "46430577000248"  # Menuiserie Dauphinoise, open, in the stub directory
PASSWORD = "Banc-d-essai-Grenoble-2026!"
IBAN_BBAN = "30006000011234567890189"
IBAN = "FR76" + IBAN_BBAN


class JourneyError(AssertionError):
    pass


@dataclass
class Response:
    status: int
    location: str
    text: str
    elapsed_ms: float
    queries: int | None = None
    size: int = 0


@dataclass
class Page:
    name: str
    group: str  # "wizard", "supplier", "pdf", "rib" — which target applies
    elapsed_ms: float
    queries: int | None
    status: int


class HttpTransport:
    def __init__(self, base_url, timeout=120):
        import requests

        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "Mozilla/5.0 (benchmark; loopback)"
        self.timeout = timeout

    def csrf(self):
        return self.session.cookies.get("csrftoken", "")

    def request(self, method, path, data=None, files=None):
        start = time.perf_counter()
        response = self.session.request(
            method, self.base_url + path, data=data, files=files, allow_redirects=False, timeout=self.timeout
        )
        content = response.content
        elapsed = (time.perf_counter() - start) * 1000
        text = content.decode("utf-8", "replace") if "text/" in response.headers.get("Content-Type", "") else ""
        return Response(response.status_code, response.headers.get("Location", ""), text, elapsed, size=len(content))


class DjangoTransport:
    """In-process: Django's test client, each request's SQL queries counted."""

    def __init__(self):
        from django.test import Client

        self.client = Client(HTTP_HOST="127.0.0.1", HTTP_USER_AGENT="Mozilla/5.0 (benchmark; in-process)")

    def csrf(self):
        cookie = self.client.cookies.get("csrftoken")
        return cookie.value if cookie else ""

    def request(self, method, path, data=None, files=None):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        payload = dict(data or {})
        for name, (filename, content, _mimetype) in (files or {}).items():
            upload = io.BytesIO(content)
            upload.name = filename
            payload[name] = upload
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = getattr(self.client, method.lower())(path, payload or None)
            if getattr(response, "streaming", False):
                content = b"".join(response.streaming_content)
            else:
                content = response.content
        elapsed = (time.perf_counter() - start) * 1000
        text = content.decode("utf-8", "replace") if "text/" in response.get("Content-Type", "") else ""
        return Response(response.status_code, response.get("Location", ""), text, elapsed, len(queries), len(content))


@lru_cache(maxsize=1)
def rib_pdf():
    """A RIB as a bank's web site gives it (text page, IBAN in groups of 4), made by WeasyPrint."""
    from weasyprint import HTML

    grouped = " ".join(IBAN[i : i + 4] for i in range(0, len(IBAN), 4))
    html = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>
      <h1>Relevé d'identité bancaire</h1><p>Titulaire : ATELIERS DU BANC D'ESSAI SRL</p>
      <table><tr><th>Banque</th><th>Guichet</th><th>Compte</th><th>Clé</th></tr>
      <tr><td>30006</td><td>00001</td><td>12345678901</td><td>89</td></tr></table>
      <p>IBAN {grouped}</p><p>BIC AGRIFRPP</p></body></html>"""
    return HTML(string=html).write_pdf()


def belgian_vat(n):
    """A valid Belgian VAT number, different for each n. It starts with 1 (numbers given since
    2023), where fill_bulk_data's start with 0: a journey never meets a bulk structure."""
    digits = 10**7 + n % 10**7
    return f"BE{digits:08d}{97 - digits % 97:02d}"


def form_errors(text):
    return [
        " ".join(re.sub(r"<[^>]+>", " ", error).split())
        for error in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', text, re.S)
    ]


def hidden_value(text, name):
    match = re.search(rf'name="{re.escape(name)}"[^>]*?value="([^"]*)"', text) or re.search(
        rf'value="([^"]*)"[^>]*?name="{re.escape(name)}"', text
    )
    return match.group(1) if match else ""


@dataclass
class Journey:
    """One registration. `pages` collects what each request cost; `on_page` is called after each."""

    transport: object
    number: int
    mailbox: object
    pages: list = field(default_factory=list)
    on_page: object = None

    @property
    def email(self):
        return f"banc.{self.number}@fournisseur-banc.example"

    # --- plumbing ---------------------------------------------------------------------------

    def call(self, name, group, method, path, data=None, files=None, expect=(200,), location=None):
        if method == "POST":
            data = {"csrfmiddlewaretoken": self.transport.csrf(), **(data or {})}
        response = self.transport.request(method, path, data, files)
        page = Page(name, group, response.elapsed_ms, response.queries, response.status)
        self.pages.append(page)
        if self.on_page:
            self.on_page(page)
        if response.status not in expect:
            raise JourneyError(
                f"{name}: HTTP {response.status} on {method} {path}, expected {expect}: "
                f"{form_errors(response.text) or response.text[:500]}"
            )
        if location is not None and not response.location.endswith(location):
            raise JourneyError(
                f"{name}: went to {response.location!r}, expected {location!r}; {form_errors(response.text)}"
            )
        return response

    def wizard_post(self, name, step, fields, *, files=None, extra=None, expect=(302,), location=None, group="wizard"):
        data = {f"{WIZARD}-current_step": step, **{f"{step}-{key}": value for key, value in fields.items()}}
        data.update(extra or {})
        upload = {f"{step}-{key}": value for key, value in (files or {}).items()}
        return self.call(name, group, "POST", f"/inscription/{step}/", data, upload, expect=expect, location=location)

    # --- the journey ------------------------------------------------------------------------

    # Called with the journey's e-mail before the deposit: validates the bank details as finance
    # staff would, in the benchmark's own process (benchmarks/pages.py). None: no deposit.
    before_deposit: object = None

    def run(self, later_days=True):
        """The registration; with `later_days`, a later login and an invoice deposited."""
        self.register()
        self.sign()
        self.connected_pages()
        if later_days:
            self.log_in_again()
            if self.before_deposit is not None:
                self.deposit()
        return self.pages

    def register(self):
        page = self.call("Assistant — compte (GET)", "wizard", "GET", "/inscription/compte/")
        captcha_key = hidden_value(page.text, "compte-captcha_0")
        self.wizard_post(
            "Assistant — compte (POST)",
            "compte",
            {
                "email": self.email,
                "email_confirmation": self.email,
                "contact_email": "",
                "last_name": "Martin",
                "first_name": "Claire",
                "address": "12 rue Félix Poulat",
                "address_complement_1": "Bâtiment B",
                "address_complement_2": "",
                "postcode": "38000",
                "city": "Grenoble",
                "country": "FR",
                "phone": "04 76 76 36 36",
                "fax": "",
                "accept_terms": "on",
                "captcha_0": captcha_key,
                "captcha_1": "PASSED",
            },
            location="/inscription/structure/",
        )
        self.call("Assistant — structure (GET)", "wizard", "GET", "/inscription/structure/")
        search = {
            "identifier_type": "siret",
            "identifier": DIRECTORY_SIRET,
            "raison_sociale": "",
            "postcode": "",
            "city": "",
        }
        self.wizard_post(
            "Assistant — structure : recherche par SIRET (POST)",
            "structure",
            search,
            extra={"rechercher": "1"},
            expect=(200,),
        )
        self.wizard_post(
            "Assistant — structure : « + Saisir une nouvelle structure » (POST)",
            "structure",
            {**search, "choice": "nouvelle"},
            location="/inscription/nouvelle-structure/",
        )
        self.call("Assistant — nouvelle structure (GET)", "wizard", "GET", "/inscription/nouvelle-structure/")
        new = {
            "has_siret": "oui",
            "identifier_type": "",
            "identifier": DIRECTORY_SIRET,
            "raison_sociale": "",
            "address": "",
            "address_complement": "",
            "postcode": "",
            "city": "",
            "country": "FR",
            "verified": "",
        }
        self.wizard_post(
            "Assistant — nouvelle structure : SIRET lu dans le répertoire (POST)",
            "nouvelle-structure",
            new,
            expect=(200,),
        )
        self.wizard_post(
            "Assistant — nouvelle structure sans SIRET (POST)",
            "nouvelle-structure",
            {
                **new,
                "has_siret": "non",
                "identifier_type": "tva_ue",
                "identifier": belgian_vat(self.number),
                "raison_sociale": f"Ateliers du Banc d'Essai {self.number}",
                "address": "12 rue Royale",
                "postcode": "1000",
                "city": "Bruxelles",
                "country": "BE",
            },
            location="/inscription/coordonnees-bancaires/",
        )
        self.call("Assistant — coordonnées bancaires (GET)", "wizard", "GET", "/inscription/coordonnees-bancaires/")
        self.wizard_post(
            "Assistant — coordonnées bancaires avec le RIB (POST)",
            "coordonnees-bancaires",
            {
                "account_name": "Compte principal",
                "account_type": "iban",
                "country_code": "FR",
                "check_digits": IBAN[2:4],
                "bban": IBAN_BBAN,
                "bic": "AGRIFRPP",
                "attachment_type": "coordonnee_bancaire",
                "factor_raison_sociale": "",
                "factor_country": "",
                "factor_identifier": "",
                "factor_identifier_type": "",
            },
            files={"rib_file": ("mon RIB.pdf", rib_pdf(), "application/pdf")},
            location="/inscription/mandat/",
            group="rib",
        )
        self.call("Assistant — mandat (GET)", "wizard", "GET", "/inscription/mandat/")
        self.wizard_post("Assistant — mandat : « Générer » (POST)", "mandat", {}, location="/inscription/fin/")
        self.call(
            "Assistant — fin : compte, structure, RIB, mandat créés (GET)",
            "wizard",
            "GET",
            "/inscription/fin/",
            expect=(302,),
            location="/inscription/courriel-envoye/",
        )
        self.call("Courriel envoyé (GET)", "supplier", "GET", "/inscription/courriel-envoye/")

    def sign(self):
        link = self.mailbox.link(self.email)
        # A new account chooses its password first, on stage A's page (onboarding.views.mandate_password).
        password_page = "/activation/mandat/" + link.rstrip("/").rsplit("/", 1)[1] + "/"
        self.call("Lien du courriel (GET)", "supplier", "GET", link, expect=(302,), location=password_page)
        self.call("Lien du courriel : choix du mot de passe (GET)", "supplier", "GET", password_page)
        self.call(
            "Lien du courriel : mot de passe (POST)",
            "password",
            "POST",
            password_page,
            {"email": self.email, "new_password1": PASSWORD, "new_password2": PASSWORD},
            expect=(302,),
            location=link,
        )
        page = self.call("Page de signature (GET)", "supplier", "GET", link)
        match = re.search(r"/mandats/(\d+)/pdf/", page.text)
        if not match:
            raise JourneyError("no PDF link on the signing page")
        self.mandate_pk = int(match.group(1))
        self.call("PDF du mandat non signé, rendu (GET)", "pdf_render", "GET", f"/mandats/{self.mandate_pk}/pdf/")
        self.call(
            "Signature du mandat (POST)",
            "sign",
            "POST",
            link,
            {"consent": "on", "document_sha256": hidden_value(page.text, "document_sha256"), "action": "signer"},
            expect=(302,),
            location=f"/mandats/{self.mandate_pk}/",
        )
        self.call("Page du mandat (GET)", "supplier", "GET", f"/mandats/{self.mandate_pk}/")
        self.call("PDF du mandat signé, stocké (GET)", "pdf_stored", "GET", f"/mandats/{self.mandate_pk}/pdf/")

    def connected_pages(self):
        self.call("Accueil connecté (GET)", "home", "GET", "/accueil/")
        page = self.call("« Déposer une facture » (GET)", "supplier", "GET", "/factures/deposer/")
        self.deposit_page = page

    def log_in_again(self):
        """« Se connecter » as on any later day: the password, then the code e-mailed (issue 10)."""
        self.call("Se déconnecter (POST)", "supplier", "POST", "/deconnexion/", expect=(302,))
        self.call("Se connecter (GET)", "supplier", "GET", "/connexion/")
        self.call(
            "Se connecter : mot de passe (POST)",
            "password",
            "POST",
            "/connexion/",
            {"username": self.email, "password": PASSWORD},
            expect=(302,),
            location="/connexion/code/",
        )
        self.call("Se connecter : saisie du code (GET)", "supplier", "GET", "/connexion/code/")
        code = self.mailbox.link(self.email, pattern=LOGIN_CODE)
        self.call(
            "Se connecter : code reçu par courriel (POST)",
            "supplier",
            "POST",
            "/connexion/code/",
            {"code": code},
            expect=(302,),
            location="/accueil/",
        )

    def deposit(self):
        """« + Déposer une facture »: the file, then the city's data, then the acknowledgement."""
        self.before_deposit(self.email)
        page = self.call("« Déposer une facture », coordonnées validées (GET)", "supplier", "GET", "/factures/deposer/")
        if not deposit_available(page.text):
            raise JourneyError("« Déposer une facture » shows no deposit form after the bank details were validated")
        number = f"F-BANC-{self.number}"
        response = self.call(
            "Dépôt : fichier de la facture (POST)",
            "supplier",
            "POST",
            "/factures/deposer/",
            {},
            files={"file": (f"facture {number}.pdf", invoice_pdf(number), "application/pdf")},
            expect=(302,),
        )
        data_path = "/" + response.location.split("/", 3)[3] if "://" in response.location else response.location
        page = self.call("Dépôt : données de la facture (GET)", "supplier", "GET", data_path)
        service = re.search(r'<option value="(\d+)"[^>]*>[^<]*\(CULTURE\)', page.text)
        account = re.search(r'name="bank_account"[^>]*>\s*<option value="(\d+)"', page.text)
        if not (service and account):
            raise JourneyError(
                f"the deposit's data page lacks the service or the bank details: {form_errors(page.text)}"
            )
        self.call(
            "Dépôt : données de la facture (POST)",
            "supplier",
            "POST",
            data_path,
            {
                "number": number,
                "issue_date": "20/11/2026",
                "amount_excl_tax": "1000,00",
                "vat_amount": "200,00",
                "amount_incl_tax": "1200,00",
                "service": service.group(1),
                "engagement_number": "",
                "bank_account": account.group(1),
            },
            expect=(302,),
        )


@lru_cache(maxsize=64)
def invoice_pdf(number):
    """An invoice as invoicing software prints it (text, no Factur-X XML), made by WeasyPrint."""
    from weasyprint import HTML

    html = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>
      <h1>FACTURE N° {number}</h1><p>ATELIERS DU BANC D'ESSAI SRL — 12 rue Royale, 1000 Bruxelles</p>
      <p>Client : Ville de Grenoble</p><p>Pose de 4 fenêtres, école Jean Jaurès</p>
      <p>Total TTC : 1 200,00 EUR</p></body></html>"""
    return HTML(string=html).write_pdf()


# The 6 digits alone on their line in the login code's e-mail (templates/emails/login_code.txt).
LOGIN_CODE = re.compile(r"^\s+([0-9]{6})\s*$", re.MULTILINE)


def deposit_available(page_text):
    """Whether « Déposer une facture » has a form to post yet (the invoices app's next stage)."""
    return bool(re.search(r'<form[^>]*method="post"[^>]*enctype="multipart/form-data"', page_text))
