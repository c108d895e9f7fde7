"""Load (issue 8): complete registrations, many at a time, against gunicorn and PostgreSQL.

    make load          # = python -m benchmarks.load [--registrations 200] [--concurrency 20]

Serves the app with gunicorn (2 sync workers) on 127.0.0.1, on a PostgreSQL database made for
the run, and drives `registrations` complete journeys, `concurrency` at a time: the wizard (the
captcha in test mode, the RIB uploaded), the e-mailed link followed (file e-mail backend:
the link is read from the message), a password chosen, the mandate signed, the connected home
and « Déposer une facture ». Then it reports: errors (must be 0), what the database holds
(exactly one account, structure, membership, bank details and signed mandate per completed
registration: nothing lost, nothing doubled), p50/p95 per page, each worker's resident memory
before and after, and the throughput against the floor's requests per second at the same
concurrency. It is a measurement, not a timed test: it fails (exit 1) only on errors or on
rows that do not match.
"""

import argparse
import json
import os
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime

from . import common
from .journey import HttpTransport, Journey, JourneyError


def percentiles(samples):
    return common.percentile(samples, 0.5), common.percentile(samples, 0.95)


def count_rows(env, domain, warmup_email):
    """What the database holds for the journeys of this run (in this process, through the ORM)."""
    os.environ.update(env)
    import django

    django.setup()
    from banking.models import BankAccount
    from mandates.models import BillingMandate
    from onboarding.models import User
    from structures.models import Membership, Structure

    users = User.objects.filter(email__endswith=domain).exclude(email=warmup_email)
    structures = Structure.objects.filter(memberships__user__in=users)
    counts = {
        "accounts": users.count(),
        "active accounts": users.filter(is_active=True).count(),
        "structures": structures.count(),
        "main managers": Membership.objects.filter(user__in=users, role=Membership.Role.MAIN_MANAGER).count(),
        "bank details": BankAccount.objects.filter(structure__in=structures).count(),
        "mandates": BillingMandate.objects.filter(structure__in=structures).count(),
        "signed mandates": BillingMandate.objects.filter(structure__in=structures, status="signe").count(),
    }
    from django.db import connection

    connection.close()
    return counts


def floor_throughput(base_url, concurrency, per_thread):
    """Requests per second of the floor view with `concurrency` clients at once."""

    def client():
        transport = HttpTransport(base_url)
        transport.request("GET", common.WIZARD_SESSION_PATH)
        for _ in range(5):
            transport.request("GET", "/banc/plancher/")
        barrier.wait()
        for _ in range(per_thread):
            if transport.request("GET", "/banc/plancher/").status != 200:
                raise RuntimeError("floor failed")

    barrier = threading.Barrier(concurrency + 1)
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return concurrency * per_thread / (time.perf_counter() - start)


def run(registrations=200, concurrency=20, workers=2, pg_name="onboarding_load", conn_max_age=600, keep=False):
    if not common.postgres_available():
        raise SystemExit("The load run needs PostgreSQL (benchmarks/postgres.sh starts it; or set BENCH_POSTGRES_URL).")
    port = common.free_port()
    result = {
        "registrations": registrations,
        "concurrency": concurrency,
        "workers": workers,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": common.machine_description(),
    }
    with common.workdir("load-", keep=keep) as workdir:
        url = common.fresh_postgres_database(pg_name)
        env = common.bench_env(
            database_url=common.with_persistent_connections(url, conn_max_age) if conn_max_age else url,
            workdir=workdir,
            port=port,
        )
        common.manage(env, "migrate", "--no-input")
        mailbox = common.Mailbox(workdir / "mails")
        pages, errors = [], []
        lock = threading.Lock()
        with common.Server(env, port, workers=workers, log_path=workdir / "gunicorn.log") as server:
            # One journey first, not counted: imports, templates, fonts, as after a deploy.
            warmup = Journey(HttpTransport(server.base_url), 0, mailbox)
            warmup.run(later_days=False)
            result["rss_before_mb"] = server.worker_rss_mb()
            base = int(time.time()) % 10**5 * 100

            def one(index):
                journey = Journey(HttpTransport(server.base_url), base + index + 1, mailbox)
                try:
                    journey.run(later_days=False)
                    return journey
                finally:
                    with lock:
                        pages.extend(journey.pages)

            started = time.perf_counter()
            completed = 0
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                futures = [pool.submit(one, index) for index in range(registrations)]
                for future in as_completed(futures):
                    try:
                        future.result()
                        completed += 1
                    except (JourneyError, LookupError, OSError) as error:
                        errors.append(f"{type(error).__name__}: {str(error)[:300]}")
                    except Exception:  # noqa: BLE001 - reported, never hidden
                        errors.append(traceback.format_exc(limit=3))
            elapsed = time.perf_counter() - started
            result["rss_after_mb"] = server.worker_rss_mb()
            result["floor_rps"] = floor_throughput(server.base_url, concurrency, 100)
            with open(workdir / "gunicorn.log", errors="replace") as log:
                result["server_errors_logged"] = sum(1 for line in log if "Traceback" in line)
        result.update(completed=completed, errors=errors, seconds=elapsed, requests=len(pages))
        result["registrations_per_second"] = completed / elapsed
        result["requests_per_second"] = len(pages) / elapsed
        result["rows"] = count_rows(env, "@fournisseur-banc.example", warmup.email)
        by_page = {}
        for page in pages:
            entry = by_page.setdefault(page.name, {"samples": [], "failed": 0})
            entry["samples"].append(page.elapsed_ms)
            if page.status >= 500:
                entry["failed"] += 1
        result["pages"] = {
            name: {
                "n": len(data["samples"]),
                "p50": percentiles(data["samples"])[0],
                "p95": percentiles(data["samples"])[1],
                "5xx": data["failed"],
            }
            for name, data in by_page.items()
        }
    if not keep:
        common.drop_postgres_database(pg_name)
    return result


def markdown(result):
    rows_ok = all(value == result["completed"] for value in result["rows"].values())
    lines = [
        f"{result['registrations']} complete registrations, {result['concurrency']} at a time, gunicorn "
        f"{result['workers']} sync workers, PostgreSQL ({result['date']}; {result['machine']}; the client runs on the "
        "same machine and takes part of its CPU).",
        "",
        f"- **Errors: {len(result['errors'])}** (completed {result['completed']} of {result['registrations']}; "
        f"tracebacks in the server log: {result['server_errors_logged']})",
        f"- **Rows afterwards** ({'exactly one per completed registration' if rows_ok else 'MISMATCH'}): "
        + ", ".join(f"{name} {value}" for name, value in result["rows"].items()),
        f"- Throughput: {result['registrations_per_second']:.2f} registrations/s, "
        f"{result['requests_per_second']:.1f} requests/s over {result['seconds']:.0f} s; the floor at the same "
        f"concurrency: {result['floor_rps']:.0f} requests/s, so the journey's requests run at "
        f"{result['requests_per_second'] / result['floor_rps']:.2f} × the floor's rate (1 journey = "
        f"{result['requests'] / max(result['completed'], 1):.0f} requests, a password hash and two PDF renderings).",
        "- Worker memory (RSS) before → after: "
        + ", ".join(
            f"{before:.0f} → {result['rss_after_mb'].get(pid, float('nan')):.0f} MB"
            for pid, before in sorted(result["rss_before_mb"].items())
        ),
        "",
        "| page | requests | p50 (ms) | p95 (ms) | 5xx |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, data in result["pages"].items():
        lines.append(f"| {name} | {data['n']} | {data['p50']:.0f} | {data['p95']:.0f} | {data['5xx']} |")
    if result["errors"]:
        lines += ["", "Errors:", ""] + [f"- `{error.splitlines()[0][:200]}`" for error in result["errors"][:20]]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-name", default="onboarding_load")
    parser.add_argument("--conn-max-age", type=int, default=600)
    parser.add_argument("--json", help="also write the raw results there")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.registrations, args.concurrency, args.workers, args.pg_name, args.conn_max_age, args.keep)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, ensure_ascii=False, indent=1)
    print(markdown(result))
    rows_ok = all(value == result["completed"] for value in result["rows"].values())
    return 0 if not result["errors"] and rows_ok and result["completed"] == args.registrations else 1


if __name__ == "__main__":
    sys.exit(main())
