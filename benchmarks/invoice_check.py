"""How long a deposited 5 Mo invoice takes to check, and an entered invoice to generate.

Check: a Factur-X as invoicing software produces it — a text page rendered by WeasyPrint with a
large photo-like JPEG (noise, which does not compress) sized so that the file is about 5 Mo,
its EN 16931 XML embedded — through invoices.files.check_invoice_file (the PDF safety checks
shared with the RIB, the text check, the XML's extraction and schema check) and the seller and
buyer check. Generate: an entered invoice's XML, its PDF/A-3 by WeasyPrint and the embedding.
No database is needed: the models are built in memory. Prints the median of each.

    .venv/bin/python benchmarks/invoice_check.py [--runs 15]
"""

import argparse
import base64
import datetime
import io
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.utils import timezone  # noqa: E402
from facturx import generate_cii_xml, generate_from_binary  # noqa: E402
from PIL import Image  # noqa: E402
from weasyprint import HTML  # noqa: E402

from banking.models import BankAccount  # noqa: E402
from invoices import facturx, pdf  # noqa: E402
from invoices.files import check_invoice_file  # noqa: E402
from invoices.models import Service  # noqa: E402
from structures.models import Structure  # noqa: E402

SIRET = "46430577000248"
CITY_SIRET = "21380185500015"
TARGET_SIZE = 5 * 1024 * 1024


def noise_jpeg(side):
    rng = random.Random(42)  # same file on every run
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def invoice_pdf(jpeg):
    src = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
    html = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><style>
      body {{ font-family: sans-serif; font-size: 10pt; }} img {{ width: 6cm; }}
      td, th {{ border: 1px solid #444; padding: 4px 8px; }}
    </style></head><body>
      <img src="{src}" alt="">
      <h1>Facture F-2026-001</h1>
      <p>Menuiserie Martin — SIRET {SIRET}<br>12 rue Félix Poulat, 38000 Grenoble</p>
      <p>Client : Ville de Grenoble — SIRET {CITY_SIRET}</p>
      <table><tr><th>Désignation</th><th>HT</th><th>TVA</th><th>TTC</th></tr>
        <tr><td>Pose de 4 fenêtres</td><td>1 000,00 €</td><td>200,00 €</td><td>1 200,00 €</td></tr></table>
    </body></html>"""
    return HTML(string=html).write_pdf()


def facturx_data():
    return {
        "BT-1": "F-2026-001",
        "BT-2": datetime.date.today(),
        "BT-3": "380",
        "BT-5": "EUR",
        "BT-10": "VOIRIE",
        "BT-72": datetime.date.today(),
        "BG-4": {
            "name": "Menuiserie Martin",
            "legal_identifier": SIRET,
            "legal_identifier_schemeid": "0009",
            "country_code": "FR",
        },
        "BG-7": {
            "name": "Ville de Grenoble",
            "legal_identifier": CITY_SIRET,
            "legal_identifier_schemeid": "0009",
            "country_code": "FR",
        },
        "BG-23": [{"BT-116": "1000.00", "BT-117": "200.00", "BT-118": "S", "BT-119": "20"}],
        "BG-25": [
            {
                "BT-126": "1",
                "BT-129": "1",
                "BT-130": "C62",
                "BT-131": "1000.00",
                "BT-146": "1000.00",
                "BT-151": "S",
                "BT-152": "20",
                "BT-153": "Pose de 4 fenêtres",
            }
        ],
        "BT-106": "1000.00",
        "BT-109": "1000.00",
        "BT-110": "200.00",
        "BT-112": "1200.00",
        "BT-115": "1200.00",
    }


def build_deposited_pdf():
    xml = generate_cii_xml(facturx_data(), level="en16931", check_xsd=True, check_schematron=False)
    # JPEG size grows with the square of the side: two corrections land close to the target.
    side = 1000
    for _attempt in range(3):
        data = generate_from_binary(invoice_pdf(noise_jpeg(side)), xml, level="en16931", check_xsd=False)
        side = int(side * (TARGET_SIZE / len(data)) ** 0.5)
    return data


def entered_invoice():
    structure = Structure(
        raison_sociale="Menuiserie Martin",
        identifier_type="siret",
        identifier=SIRET,
        address="12 rue Félix Poulat",
        postcode="38000",
        city="Grenoble",
        country="FR",
    )
    account = BankAccount(
        structure=structure, account_name="Compte principal", iban="FR7630006000011234567890189", bic="AGRIFRPP881"
    )
    return facturx.EnteredInvoice(
        structure=structure,
        bank_account=account,
        service=Service(code="VOIRIE", name="Voirie"),
        mandate_reference="M-000001",
        number="F-2026-001",
        issue_date=datetime.date.today(),
        delivery_date=datetime.date.today(),
        description="Pose de 4 fenêtres, école Jean Jaurès",
        amount_excl_tax=Decimal("1000.00"),
        vat_rate=Decimal("20"),
        vat_amount=Decimal("200.00"),
        amount_incl_tax=Decimal("1200.00"),
        engagement_number="ENG-2026-042",
        city_siret=CITY_SIRET,
    )


def time_check(data, runs):
    structure = Structure(raison_sociale="Menuiserie Martin", identifier=SIRET)
    durations = []
    for _run in range(runs):
        upload = SimpleUploadedFile("facture.pdf", data, content_type="application/pdf")
        start = time.perf_counter()
        checked = check_invoice_file(upload)
        facturx.check_parties(checked.facturx, structure, CITY_SIRET)
        durations.append(time.perf_counter() - start)
        assert checked.facturx.amount_incl_tax == Decimal("1200.00"), checked
    return durations


def time_generation(runs):
    entered = entered_invoice()
    durations = []
    for _run in range(runs):
        start = time.perf_counter()
        xml = facturx.build_xml(entered)
        rendered = pdf.render_invoice_pdf(entered, issued_at=timezone.now())
        result = facturx.embed_xml(rendered, xml, title="Facture F-2026-001", author="Menuiserie Martin")
        durations.append(time.perf_counter() - start)
        assert result.startswith(b"%PDF-")
    return durations


def report(label, durations):
    print(
        f"{label}, {len(durations)} runs: median {statistics.median(durations) * 1000:.1f} ms, "
        f"max {max(durations) * 1000:.1f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    data = build_deposited_pdf()
    print(f"Deposited Factur-X: {len(data)} bytes ({len(data) / 1024 / 1024:.2f} Mo, limit 10 Mo)")
    report("check_invoice_file + check_parties", time_check(data, runs))
    report("entered invoice: XML + WeasyPrint PDF/A-3 + embedding", time_generation(runs))


if __name__ == "__main__":
    main()
