"""One database's part of `make bench`: every page of the journey and the admin lists, timed
over HTTP against gunicorn on 127.0.0.1, their SQL queries counted in-process.

    python -m benchmarks.pages --db sqlite|postgres --out results.json [--journeys 40] ...
    python -m benchmarks.pages --db postgres --memory --out memory.json

Timings: the client's wall clock around each request (requests over loopback, the whole body
read). The floor (config/bench.py: reads the session, renders a one-line template) is
timed in the same run, interleaved with the pages, so that each page's median can be divided
by it.

SQL queries: not from the server (DEBUG is off there, as in production) but by replaying the
same journey in this process with Django's test client inside CaptureQueriesContext, against
the same database (benchmarks/journey.py, DjangoTransport). Every statement counts, as
django_assert_num_queries counts them: on SQLite that includes BEGIN/COMMIT, on both the
SAVEPOINT/RELEASE of nested atomic blocks.
"""

import argparse
import json
import os
import sys
import time
import urllib.parse

from . import common
from .journey import DjangoTransport, HttpTransport, Journey

ADMIN_EMAIL = "agent.banc@grenoble.example"
ADMIN_PASSWORD = "Banc-d-essai-agent-2026!"


def admin_pages(siret, iban, invoice_number):
    spaced_iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    q = urllib.parse.quote_plus
    pages = [
        # The home counts what waits for finance staff (« À traiter »): one query per list.
        ("Admin — accueil (à traiter)", "/admin/"),
        ("Admin — structures", "/admin/structures/structure/"),
        ("Admin — structures : recherche par SIRET", f"/admin/structures/structure/?q={q(siret)}"),
        ("Admin — structures : recherche par nom", f"/admin/structures/structure/?q={q('Menuiserie Dauphinoise')}"),
        ("Admin — coordonnées bancaires", "/admin/banking/bankaccount/"),
        ("Admin — coordonnées bancaires en attente", "/admin/banking/bankaccount/?status__exact=en_attente"),
        ("Admin — coordonnées bancaires : recherche par IBAN", f"/admin/banking/bankaccount/?q={q(spaced_iban)}"),
        ("Admin — mandats", "/admin/mandates/billingmandate/"),
        ("Admin — mandats : recherche par SIRET", f"/admin/mandates/billingmandate/?q={q(siret)}"),
        ("Admin — rattachements", "/admin/structures/membership/"),
        ("Admin — utilisateurs", "/admin/onboarding/user/"),
    ]
    if invoice_number is not None:
        pages.append(("Admin — factures", "/admin/invoices/invoice/"))
        pages.append(("Admin — factures : recherche par numéro", f"/admin/invoices/invoice/?q={q(invoice_number)}"))
    return pages


def setup_django(env):
    os.environ.update(env)
    import django

    django.setup()


def prepare_database(args, workdir):
    if args.db == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    url = common.fresh_postgres_database(args.pg_name)
    return common.with_persistent_connections(url, args.conn_max_age) if args.conn_max_age else url


# The bench agent's recovery codes (twofactor/): one per admin login of the run, since the
# admin asks staff for their app's code (or a recovery code) after the password.
ADMIN_RECOVERY_CODES = [f"banc{n:04d}" for n in range(1, 21)]


def create_admin():
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from onboarding.models import User

    user = User.objects.create_superuser(
        ADMIN_EMAIL, ADMIN_PASSWORD, last_name="Banc", first_name="Agent", second_factor="totp"
    )
    device = StaticDevice.objects.create(user=user, name="Codes de secours", confirmed=True)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in ADMIN_RECOVERY_CODES])


def validate_for_deposit(email):
    """What finance staff do in the admin before a supplier can deposit: validate the bank
    details (here in the benchmark's process, with the bench agent's account), and the city's
    service that ordered."""
    from banking.models import BankAccount
    from banking.services import validate_bank_account
    from invoices.models import Service
    from onboarding.models import User

    Service.objects.get_or_create(
        code="CULTURE", defaults={"name": "Bibliothèques municipales", "engagement_required": False}
    )
    account = BankAccount.objects.get(structure__memberships__user__email=email, status=BankAccount.Status.PENDING)
    validate_bank_account(account, by=User.objects.get(email=ADMIN_EMAIL))


def admin_login(transport):
    """The admin's own login: password, then a recovery code (in place of the app's code)."""
    from django_otp.plugins.otp_static.models import StaticToken

    journey = Journey(transport, 0, None)
    journey.call("admin login page", "admin", "GET", "/admin/login/?next=/admin/")
    journey.call(
        "admin login",
        "admin",
        "POST",
        "/admin/login/?next=/admin/",
        {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "next": "/admin/"},
        expect=(302,),
        location="/admin/login/code/",
    )
    code = StaticToken.objects.filter(device__user__email=ADMIN_EMAIL).values_list("token", flat=True).first()
    journey.call(
        "admin second factor", "admin", "POST", "/admin/login/code/", {"code": code}, expect=(302,), location="/admin/"
    )


def count_admin_queries(pages):
    transport = DjangoTransport()
    admin_login(transport)
    counts = {}
    for name, path in pages:
        transport.request("GET", path)  # the first request of a list loads its caches
        response = transport.request("GET", path)
        if response.status != 200:
            raise RuntimeError(f"{name}: HTTP {response.status}")
        counts[name] = response.queries
    return counts


def explain_searches(siret, iban, invoice_number, db):
    """The plans of the admin's searches, as the change list runs them (PostgreSQL: ANALYZE)."""
    from django.contrib import admin
    from django.test import RequestFactory

    from banking.models import BankAccount
    from mandates.models import BillingMandate
    from onboarding.models import User
    from structures.models import Structure

    user = User.objects.get(email=ADMIN_EMAIL)
    plans = {}
    searches = [
        ("structures, SIRET", Structure, siret),
        ("coordonnées bancaires, IBAN", BankAccount, " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))),
        ("mandats, SIRET", BillingMandate, siret),
    ]
    if invoice_number is not None:
        from invoices.models import Invoice

        searches.append(("factures, numéro", Invoice, invoice_number))
    for label, model, term in searches:
        model_admin = admin.site._registry[model]
        request = RequestFactory().get("/", {"q": term})
        request.user = user
        changelist = model_admin.get_changelist_instance(request)
        queryset = changelist.queryset[: changelist.list_per_page]
        options = {"analyze": True} if db == "postgres" else {}
        plans[label] = {"term": term, "found": changelist.result_count, "plan": queryset.explain(**options)}
    if invoice_number is None:
        plans["factures, numéro"] = {
            "term": "",
            "found": 0,
            "plan": "(no invoices: the invoices app has no admin list yet)",
        }
    return plans


def invoices_model_exists():
    """Whether the invoices app is there to measure: a model, its table, its admin list."""
    from django.apps import apps
    from django.contrib import admin
    from django.db import connection

    try:
        invoice = apps.get_model("invoices", "Invoice")
    except LookupError:
        return False
    return invoice in admin.site._registry and invoice._meta.db_table in connection.introspection.table_names()


def sample_identifiers():
    from banking.models import BankAccount

    account = BankAccount.objects.select_related("structure").filter(structure__identifier_type="siret").order_by("pk")
    account = account[account.count() // 2]
    return account.structure.identifier, account.iban


def sample_invoice_number(invoices):
    """An invoice number from the middle of the table (None without the invoices app)."""
    if not invoices:
        return None
    from invoices.models import Invoice

    numbers = Invoice.objects.order_by("pk").values_list("number", flat=True)
    return numbers[numbers.count() // 2]


def time_floor(transport, samples, count):
    for _ in range(count):
        response = transport.request("GET", "/banc/plancher/")
        if response.status != 200:
            raise RuntimeError(f"floor: HTTP {response.status}")
        samples.append(response.elapsed_ms)


def run_pages(args):
    port = common.free_port()
    with common.workdir(f"bench-{args.db}-", keep=args.keep) as workdir:
        database_url = prepare_database(args, workdir)
        env = common.bench_env(database_url=database_url, workdir=workdir, port=port)
        setup_django(env)
        from django.core.management import call_command
        from django.db import connection

        result = {"db": args.db, "database": connection.vendor, "journeys": args.journeys, "warmup": args.warmup}
        call_command("migrate", verbosity=0)
        create_admin()
        invoices = invoices_model_exists()

        # Admin lists' queries at 100 rows, then at the full size.
        call_command("fill_bulk_data", count=100, verbosity=0)
        siret, iban = sample_identifiers()
        pages = admin_pages(siret, iban, sample_invoice_number(invoices))
        queries_small = count_admin_queries(pages)
        started = time.monotonic()
        call_command("fill_bulk_data", count=args.bulk - 100, verbosity=0)
        result["fill_seconds"] = time.monotonic() - started + 0.0
        result["rows"] = args.bulk
        if connection.vendor == "postgresql":
            # As autovacuum leaves a table loaded long ago: statistics and visibility map up to date.
            with connection.cursor() as cursor:
                for table in connection.introspection.table_names():
                    cursor.execute(f'VACUUM ANALYZE "{table}"')
        siret, iban = sample_identifiers()
        invoice_number = sample_invoice_number(invoices)
        pages = admin_pages(siret, iban, invoice_number)
        queries_full = count_admin_queries(pages)
        result["explain"] = explain_searches(siret, iban, invoice_number, args.db)
        connection.close()

        mailbox = common.Mailbox(workdir / "mails")
        floor = []
        timings = {}
        with common.Server(env, port, workers=args.workers, log_path=workdir / "gunicorn.log") as server:
            floor_client = HttpTransport(server.base_url)
            floor_client.request("GET", common.WIZARD_SESSION_PATH)  # a session, as every wizard page has
            time_floor(floor_client, [], 50)  # warm-up

            def record(page):
                timings.setdefault(page.name, {"group": page.group, "samples": []})["samples"].append(page.elapsed_ms)

            number = int(time.time()) % 10**6 * 10
            deposit = (
                "driven in each journey: the bank details validated (in-process, as staff would), "
                "a PDF deposited, its data posted, the acknowledgement"
            )
            for index in range(args.warmup + args.journeys):
                measured = index >= args.warmup
                journey = Journey(
                    HttpTransport(server.base_url),
                    number + index,
                    mailbox,
                    on_page=record if measured else None,
                    before_deposit=validate_for_deposit,
                )
                journey.run()
                if measured:
                    time_floor(floor_client, floor, args.floor_per_journey)
            result["deposit"] = deposit

            admin = HttpTransport(server.base_url)
            admin_login(admin)
            admin_timings = {}
            for name, path in pages:
                for rep in range(args.admin_warmup + args.admin_reps):
                    response = admin.request("GET", path)
                    if response.status != 200:
                        raise RuntimeError(f"{name}: HTTP {response.status}")
                    if rep >= args.admin_warmup:
                        admin_timings.setdefault(name, []).append(response.elapsed_ms)
                        time_floor(floor_client, floor, 1)
            result["rss_mb_end"] = server.worker_rss_mb()

        if args.db == "postgres" and args.conn_max_age:
            # The same floor with a new connection per request (CONN_MAX_AGE=0, Django's default).
            plain = {**env, "DATABASE_URL": database_url.split("?")[0]}
            with common.Server(plain, port, workers=args.workers, log_path=workdir / "gunicorn-plain.log") as server:
                plain_client = HttpTransport(server.base_url)
                plain_client.request("GET", common.WIZARD_SESSION_PATH)
                time_floor(plain_client, [], 20)
                result["floor_without_persistent_connections"] = []
                time_floor(plain_client, result["floor_without_persistent_connections"], 200)

        # The same journey in-process, to count each page's queries (the second one: warm caches).
        setup_queries = {}
        for index in range(2):
            journey = Journey(DjangoTransport(), number + 10**5 + index, mailbox, before_deposit=validate_for_deposit)
            journey.run()
            setup_queries = {page.name: page.queries for page in journey.pages}
        floor_transport = DjangoTransport()
        floor_transport.request("GET", common.WIZARD_SESSION_PATH)
        floor_queries = floor_transport.request("GET", "/banc/plancher/").queries

        result["floor"] = {"samples": floor, "queries": floor_queries}
        result["pages"] = [
            {"name": name, "group": data["group"], "samples": data["samples"], "queries": setup_queries.get(name)}
            for name, data in timings.items()
        ]
        result["admin"] = [
            {
                "name": name,
                "path": path,
                "samples": admin_timings[name],
                "queries_small": queries_small[name],
                "queries_full": queries_full[name],
            }
            for name, path in pages
        ]
        connection.close()
    if args.db == "postgres" and not args.keep:
        common.drop_postgres_database(args.pg_name)
    return result


def run_memory(args):
    """One gunicorn worker, journeys until `requests` requests: its resident memory every 100."""
    port = common.free_port()
    with common.workdir(f"bench-memory-{args.db}-", keep=args.keep) as workdir:
        database_url = prepare_database(args, workdir)
        env = common.bench_env(database_url=database_url, workdir=workdir, port=port)
        common.manage(env, "migrate", "--no-input")
        mailbox = common.Mailbox(workdir / "mails")
        with common.Server(env, port, workers=1, log_path=workdir / "gunicorn.log") as server:
            (worker,) = server.worker_pids()
            samples = [(0, common.rss_mb(worker))]
            count = 0

            def on_page(page):
                nonlocal count
                count += 1
                if count % 100 == 0:
                    samples.append((count, common.rss_mb(worker)))

            number = int(time.time()) % 10**6 * 10 + 5 * 10**5
            index = 0
            while count < args.requests:
                Journey(HttpTransport(server.base_url), number + index, mailbox, on_page=on_page).run()
                index += 1
            if server.worker_pids() != [worker]:
                raise RuntimeError("the gunicorn worker was replaced during the memory run")
            samples.append((count, common.rss_mb(worker)))
    if args.db == "postgres" and not args.keep:
        common.drop_postgres_database(args.pg_name)
    return {"db": args.db, "requests": count, "journeys": index, "samples": samples}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--memory", action="store_true", help="the worker memory run instead of the pages")
    parser.add_argument("--requests", type=int, default=2000, help="memory run: requests to send")
    parser.add_argument("--journeys", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--floor-per-journey", type=int, default=10)
    parser.add_argument("--admin-reps", type=int, default=25)
    parser.add_argument("--admin-warmup", type=int, default=3)
    parser.add_argument("--bulk", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-name", default="onboarding_bench")
    parser.add_argument("--conn-max-age", type=int, default=600, help="PostgreSQL: CONN_MAX_AGE of the workers")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and database")
    args = parser.parse_args(argv)
    result = run_memory(args) if args.memory else run_pages(args)
    with open(args.out, "w") as out:
        json.dump(result, out, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    sys.exit(main())
