"""How long a mandate PDF takes to render (WeasyPrint), and to serve once signed and stored.

Runs on a throw-away in-memory SQLite database and a temporary private folder: nothing of the
project's own data is touched. Prints the median of each.

    .venv/bin/python benchmarks/mandate_pdf.py [--renders 20] [--downloads 200]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PRIVATE = tempfile.mkdtemp(prefix="mandate-benchmark-")
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    SECRET_KEY=os.environ.get("SECRET_KEY", "benchmark-only-not-a-secret"),
    DJANGO_HTTPS="0",  # the test client speaks plain HTTP
    EMAIL_URL="memorymail://",
    PRIVATE_MEDIA_ROOT=PRIVATE,
    DATABASE_URL="sqlite://:memory:",
    RATELIMIT_ENABLE="0",
)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from mandates import pdf, services  # noqa: E402
from onboarding.models import User  # noqa: E402
from structures.models import Membership, Structure  # noqa: E402


def median_ms(function, runs):
    timings = []
    for _run in range(runs):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def signed_mandate():
    user = User.objects.create_user(
        "claire@menuiserie-martin.fr", "Un-mot-de-passe-solide-42", first_name="Claire", last_name="Martin"
    )
    structure = Structure.objects.create(
        identifier="46430577000248",
        raison_sociale="Menuiserie Martin",
        address="12 rue Félix Poulat",
        postcode="38000",
        city="Grenoble",
    )
    Membership.objects.create(user=user, structure=structure, role=Membership.Role.MAIN_MANAGER)
    mandate = services.generate_mandate(structure, user)
    return services.sign_mandate(mandate, user=user, ip="203.0.113.7", user_agent="Firefox/140.0"), user


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--downloads", type=int, default=200)
    args = parser.parse_args()

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    mandate, user = signed_mandate()

    pdf.render_mandate_pdf(mandate)  # warm up: fonts, stylesheet, template cache
    render = median_ms(lambda: pdf.render_mandate_pdf(mandate), args.renders)

    client = Client()
    client.force_login(user)
    url = reverse("mandates:pdf", args=[mandate.pk])

    def download():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        b"".join(response.streaming_content)

    download()
    serve = median_ms(download, args.downloads)
    size = mandate.signed_pdf.size
    print(f"render a mandate PDF (WeasyPrint), median of {args.renders}: {render:.0f} ms")
    print(f"serve the stored signed PDF ({size // 1024} Ko), median of {args.downloads}: {serve:.1f} ms")


if __name__ == "__main__":
    main()
