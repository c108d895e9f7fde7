"""`make bench`: measure every page against the floor, on SQLite and PostgreSQL, and write
BENCHMARKS.md.

    make bench                                  # the full run (about 15 minutes)
    make bench BENCH_ARGS="--quick --output /tmp/bench.md"   # a smoke run (about 2 minutes)

Steps, each in its own process (Django's settings are per process):
1. benchmarks/pages.py on SQLite, then on PostgreSQL: 100 000 suppliers filled in
   (fill_bulk_data), gunicorn (2 sync workers) on 127.0.0.1, warm-up journeys, then N complete
   journeys and the admin lists, each page timed over HTTP with the floor interleaved; the
   queries counted by replaying the journey in-process (CaptureQueriesContext);
2. the memory of one gunicorn worker over 2 000 requests (PostgreSQL);
3. benchmarks/load.py: 200 complete registrations, 20 at a time, 2 workers, PostgreSQL, and
   the floor's requests per second at the same concurrency;
4. benchmarks/rib_check.py: the RIB check of a PDF just under 4 Mo.
PostgreSQL is started by benchmarks/postgres.sh (make bench runs it); without it, SQLite only.
The causes of what misses, and the fixes, are in benchmarks/notes.md, copied into the report.
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from . import common

ROOT = common.ROOT
NOTES = Path(__file__).with_name("notes.md")

# Which target applies to which page (the `group` given in benchmarks/journey.py).
TIME_TARGETS = {
    "wizard": ("≤ 3 × floor", lambda median, floor: median <= 3 * floor),
    "home": ("≤ 3 × floor", lambda median, floor: median <= 3 * floor),
    "pdf_stored": ("≤ 3 × floor", lambda median, floor: median <= 3 * floor),
    "pdf_render": ("≤ 400 ms", lambda median, floor: median <= 400),
}
MAX_SUPPLIER_QUERIES = 10
ADMIN_MAX_MS = 300
MEMORY_MAX_MB = 150
MEMORY_GROWTH_TOLERANCE_MB = 2  # allocator noise: a leak grows steadily, by far more


def run_step(args, label, allow_failure=False):
    print(f"== {label}: {' '.join(args)}", flush=True)
    started = time.monotonic()
    done = subprocess.run([common.PYTHON, *args], cwd=ROOT)
    if done.returncode and not allow_failure:
        raise SystemExit(f"{label} failed (exit {done.returncode})")
    print(f"   {label}: {time.monotonic() - started:.0f} s", flush=True)


def median(values):
    return statistics.median(values) if values else float("nan")


def fmt(value, digits=0):
    return "—" if value is None or value != value else f"{value:.{digits}f}"


def pages_table(result, db):
    floor = median(result["floor"]["samples"])
    lines = [
        "| page | median (ms) | p95 (ms) | × floor | SQL queries | target | met |",
        "|---|---:|---:|---:|---:|---|---|",
        f"| **floor** (session read, one-line template) | {floor:.1f} | "
        f"{common.percentile(result['floor']['samples'], 0.95):.1f} | 1.0 | {result['floor']['queries']} | — | — |",
    ]
    misses = []
    for page in result["pages"]:
        samples = page["samples"]
        med, p95 = median(samples), common.percentile(samples, 0.95)
        targets, met = [], True
        time_target = TIME_TARGETS.get(page["group"])
        if time_target:
            targets.append(time_target[0])
            if not time_target[1](med, floor):
                met = False
                misses.append(
                    f"{page['name']} ({db}): median {med:.0f} ms = {med / floor:.1f} × floor, target {time_target[0]}"
                )
        elif page["group"] == "rib":
            targets.append("RIB upload aside")
        targets.append(f"≤ {MAX_SUPPLIER_QUERIES} queries")
        if page["queries"] is None or page["queries"] > MAX_SUPPLIER_QUERIES:
            met = False
            misses.append(f"{page['name']} ({db}): {page['queries']} SQL queries, target ≤ {MAX_SUPPLIER_QUERIES}")
        lines.append(
            f"| {page['name']} | {med:.1f} | {p95:.1f} | {med / floor:.1f} | {page['queries']} | "
            f"{', '.join(targets)} | {'yes' if met else '**no**'} |"
        )
    for page in result["admin"]:
        samples = page["samples"]
        med, p95 = median(samples), common.percentile(samples, 0.95)
        same = page["queries_small"] == page["queries_full"]
        met = same and (db != "postgres" or med <= ADMIN_MAX_MS)
        target = f"same queries at 100 and {result['rows']:,} rows".replace(",", " ")
        if db == "postgres":
            target = f"≤ {ADMIN_MAX_MS} ms, " + target
        if not same:
            misses.append(
                f"{page['name']} ({db}): {page['queries_small']} queries at 100 rows, {page['queries_full']} at "
                "full size"
            )
        if db == "postgres" and med > ADMIN_MAX_MS:
            misses.append(f"{page['name']} ({db}): median {med:.0f} ms, target ≤ {ADMIN_MAX_MS} ms")
        lines.append(
            f"| {page['name']} | {med:.1f} | {p95:.1f} | {med / floor:.1f} | "
            f"{page['queries_full']} (100 rows: {page['queries_small']}) | {target} | {'yes' if met else '**no**'} |"
        )
    return "\n".join(lines), misses


def memory_growth(memory):
    """RSS after the run, and its growth over the last 1 000 requests, from the samples.

    Each side is the median of the samples of 500 requests (the last 500, and the 500 before
    request N - 1 000): a sample taken while a PDF's buffers are still held reads about 3 MB
    above the worker's level and falls back at the next one, which a comparison of two single
    samples would take for growth. A leak raises every sample, so the medians too.
    """
    samples = memory["samples"]
    end_count = samples[-1][0]
    mid_count = end_count - 1000

    def level(upto):
        window = sorted(rss for count, rss in samples if upto - 500 <= count <= upto)
        return window[len(window) // 2]

    mid, end = level(mid_count), level(end_count)
    return mid_count, mid, end_count, end, end - mid


def memory_section(memory):
    samples = memory["samples"]
    mid_count, mid, end_count, end, growth = memory_growth(memory)
    met = end <= MEMORY_MAX_MB and growth <= MEMORY_GROWTH_TOLERANCE_MB
    points = ", ".join(f"{count}: {rss:.0f}" for count, rss in samples[:: max(1, len(samples) // 10)])
    highest = max(rss for _, rss in samples)
    text = (
        f"One gunicorn sync worker on {memory['db']}, {memory['requests']} requests "
        f"({memory['journeys']} complete journeys, PDFs included). Resident memory (VmRSS, the median "
        f"of the samples over 500 requests): {samples[0][1]:.0f} MB when started, **{mid:.0f} MB around "
        f"request {mid_count}, {end:.0f} MB around request {end_count}**: {growth:+.1f} MB over the last "
        f"1 000 (highest sample {highest:.0f} MB). Target: ≤ {MEMORY_MAX_MB} MB and not growing "
        f"(≤ {MEMORY_GROWTH_TOLERANCE_MB} MB, allocator noise) — **{'met' if met else 'missed'}**.\n\n"
        f"Samples (requests: MB): {points}."
    )
    misses = (
        [] if met else [f"worker memory: {end:.0f} MB after {end_count} requests, {growth:+.1f} MB over the last 1 000"]
    )
    return text, misses


def rib_check():
    done = subprocess.run(
        [common.PYTHON, "benchmarks/rib_check.py"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    if done.returncode:
        return None, done.stderr[-500:]
    match = re.search(r"20 runs: median ([0-9.]+) ms", done.stdout)
    size = re.search(r"\((\d+) Ko", done.stdout)
    return (float(match.group(1)) if match else None), (size.group(1) if size else "?")


def summary_section(results, memory, load, rib):
    """The issue's targets, one line each, from this run's figures."""
    rows = ["## The targets at a glance", "", "| target (issue 9) | measured | met |", "|---|---|---|"]

    def line(target, measured, met):
        rows.append(f"| {target} | {measured} | {'yes' if met else '**no**'} |")

    for db in ("postgres", "sqlite"):
        if db not in results:
            continue
        result = results[db]
        floor = median(result["floor"]["samples"])
        name = "PostgreSQL" if db == "postgres" else "SQLite"
        timed = [p for p in result["pages"] if p["group"] in ("wizard", "home")]
        slow = [p for p in timed if median(p["samples"]) > 3 * floor]
        worst = max(timed, key=lambda p: median(p["samples"]))
        line(
            f"wizard pages and connected home ≤ 3 × floor ({name})",
            f"{len(timed) - len(slow)} of {len(timed)}; worst {median(worst['samples']) / floor:.1f} × "
            f"({worst['name']})",
            not slow,
        )
        heavy = [p for p in result["pages"] if (p["queries"] or 0) > MAX_SUPPLIER_QUERIES]
        over = ", ".join("{} ({})".format(p["name"], p["queries"]) for p in heavy)
        line(
            f"supplier pages ≤ {MAX_SUPPLIER_QUERIES} SQL queries ({name})",
            f"{len(result['pages']) - len(heavy)} of {len(result['pages'])}" + (f"; over: {over}" if heavy else ""),
            not heavy,
        )
        admin_lists = result["admin"]
        same = all(a["queries_small"] == a["queries_full"] for a in admin_lists)
        line(
            f"admin lists: same queries at 100 and {result['rows']:,} rows ({name})".replace(",", " "),
            "all equal" if same else "differ",
            same,
        )
        if db == "postgres":
            slowest = max(admin_lists, key=lambda a: median(a["samples"]))
            line(
                f"admin lists ≤ {ADMIN_MAX_MS} ms (PostgreSQL)",
                f"slowest: {slowest['name']} {median(slowest['samples']):.0f} ms",
                median(slowest["samples"]) <= ADMIN_MAX_MS,
            )
            indexed = all("Index" in data["plan"] for label, data in result["explain"].items() if data["found"])
            line(
                "search by SIRET / IBAN / invoice number uses an index (EXPLAIN below)",
                "index scans" if indexed else "sequential scan",
                indexed,
            )
        pdf = {p["group"]: p for p in result["pages"] if p["group"] in ("pdf_render", "pdf_stored")}
        if pdf:
            first, stored = median(pdf["pdf_render"]["samples"]), median(pdf["pdf_stored"]["samples"])
            line(
                f"mandate PDF: first rendering ≤ 400 ms / stored one ≤ 3 × floor ({name})",
                f"{first:.0f} ms / {stored / floor:.1f} ×",
                first <= 400 and stored <= 3 * floor,
            )
        line(
            f"fill_bulk_data {result['rows']:,} suppliers < 120 s ({name})".replace(",", " "),
            f"{result['fill_seconds']:.0f} s",
            result["fill_seconds"] < 120,
        )
    if rib[0] is not None:
        line("RIB check of a 4 Mo PDF ≤ 500 ms", f"{rib[0]:.0f} ms", rib[0] <= 500)
    if load:
        line(
            f"throughput, {load['workers']} workers, PostgreSQL: reported with the ratio to the floor",
            f"{load['registrations_per_second']:.2f} registrations/s = {load['requests_per_second']:.0f} req/s, "
            f"{load['requests_per_second'] / load['floor_rps']:.2f} × the floor's {load['floor_rps']:.0f} req/s; "
            f"errors {len(load['errors'])}",
            not load["errors"],
        )
    if memory:
        _, _, _, end, growth = memory_growth(memory)
        line(
            f"worker memory after {memory['requests']} requests ≤ {MEMORY_MAX_MB} MB, not growing",
            f"{end:.0f} MB, {growth:+.1f} MB over the last 1 000 (medians of 500 requests)",
            end <= MEMORY_MAX_MB and growth <= MEMORY_GROWTH_TOLERANCE_MB,
        )
    return rows + [""]


def explain_section(result):
    lines = []
    for label, data in result["explain"].items():
        lines += [f"**{label}** — `{data['term']}` ({data['found']} found):", "", "```", data["plan"], "```", ""]
    return "\n".join(lines)


def write_report(output, command, started, results, memory, load, rib, args):
    date = started.strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmarks",
        "",
        f"Written by `{command}` (benchmarks/run.py) on **{date}**, in {results.get('_seconds', 0) / 60:.0f} minutes.",
        f"Machine: {common.machine_description()}. The client runs on the same machine.",
        "",
        "How it is measured: gunicorn 2 sync workers on 127.0.0.1 with the production settings from the "
        "environment (DJANGO_DEBUG off; DJANGO_HTTPS=0 because it is plain HTTP on loopback; "
        "CAPTCHA_TEST_MODE on so that the captcha takes its test word; RATELIMIT_ENABLE off because every request "
        "comes from one address; PostgreSQL with persistent connections, `?conn_max_age=600`), plus the floor view "
        "(benchmarks/settings.py sets BENCHMARK_FLOOR). Times are the client's wall clock around each request, the "
        "whole body read (Python `requests` over loopback). The floor (config/bench.py: reads the session, "
        "renders a one-line template, through the same middleware) is timed in the same run, interleaved with the "
        f"pages. Each page: {args.warmup} warm-up journeys, then the median and p95 of {args.journeys} complete "
        f"journeys; each admin list: {args.admin_warmup} warm-up requests then {args.admin_reps}. SQL queries are "
        "not counted by the server (DEBUG off there) but by replaying the same journey in the benchmark's own "
        "process through Django's test client inside `CaptureQueriesContext`, against the same database: every "
        "statement counts, as `django_assert_num_queries` counts them (BEGIN/COMMIT on SQLite, SAVEPOINTs on both). "
        f"The database holds {args.bulk:,} suppliers (structure, bank details, mandate each), filled by "
        "`manage.py fill_bulk_data`.".replace(",", " ", 1),
        "",
    ]
    out += summary_section(results, memory, load, rib)
    misses = []
    for db in ("postgres", "sqlite"):
        if db not in results:
            continue
        result = results[db]
        table, db_misses = pages_table(result, db)
        misses += db_misses
        title = "PostgreSQL 15" if db == "postgres" else "SQLite"
        out += [f"## Pages — {title}", "", table, ""]
        out.append(
            f"`fill_bulk_data` for {result['rows']:,} suppliers: ".replace(",", " ")
            + f"**{result['fill_seconds']:.0f} s** (target < 120 s). "
            + f"« Déposer une facture » then a deposit: {result['deposit']}."
        )
        if result.get("floor_without_persistent_connections"):
            out.append(
                f"The floor without persistent connections (Django's default CONN_MAX_AGE=0: a new PostgreSQL "
                f"connection per request): median {median(result['floor_without_persistent_connections']):.1f} ms."
            )
        out.append("")
        if result["fill_seconds"] > 120:
            misses.append(f"fill_bulk_data on {db}: {result['fill_seconds']:.0f} s")
    if "postgres" in results:
        out += [
            "## Admin searches: the plans (PostgreSQL, EXPLAIN ANALYZE, as the change list runs them)",
            "",
            explain_section(results["postgres"]),
        ]
    elif "sqlite" in results:
        out += ["## Admin searches: the plans (SQLite, EXPLAIN QUERY PLAN)", "", explain_section(results["sqlite"])]
    if memory:
        text, memory_misses = memory_section(memory)
        misses += memory_misses
        out += ["## Memory of a gunicorn worker", "", text, ""]
    if load:
        from .load import markdown

        out += ["## Throughput: complete registrations (benchmarks/load.py, also `make load`)", "", markdown(load)]
        if load["errors"]:
            misses.append(f"load: {len(load['errors'])} errors")
    rib_ms, rib_size = rib
    out += ["## RIB check of a 4 Mo PDF (benchmarks/rib_check.py)", ""]
    if rib_ms is None:
        out += [f"Not measured: {rib_size}", ""]
    else:
        out += [
            f"`check_rib` on a {rib_size} Ko PDF (limit 4096 Ko), median of 20 runs: **{rib_ms:.0f} ms** "
            f"(target ≤ 500 ms) — **{'met' if rib_ms <= 500 else 'missed'}**.",
            "",
        ]
        if rib_ms > 500:
            misses.append(f"RIB check: {rib_ms:.0f} ms")
    out += ["## What misses its target (this run)", ""]
    out += [f"- {miss}" for miss in misses] or ["Nothing."]
    out.append("")
    if NOTES.exists():
        out += [NOTES.read_text().strip(), ""]
    text = "\n".join(out)
    if output == "-":
        print(text)
    else:
        Path(output).write_text(text)
        print(f"Report written to {output}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small numbers: a smoke run of the whole harness")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--journeys", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--admin-reps", type=int, default=25)
    parser.add_argument("--admin-warmup", type=int, default=3)
    parser.add_argument("--bulk", type=int, default=100_000)
    parser.add_argument("--memory-requests", type=int, default=2000)
    parser.add_argument("--registrations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--skip", action="append", default=[], choices=["sqlite", "postgres", "memory", "load", "rib"])
    parser.add_argument("--results", help="keep the raw results (JSON) in this folder")
    parser.add_argument("--from-results", help="only write the report again, from a --results folder")
    args = parser.parse_args(argv)
    if args.from_results:
        return report_from(Path(args.from_results), args)
    if args.quick:
        args.journeys, args.warmup, args.admin_reps, args.admin_warmup = 5, 1, 5, 1
        args.bulk, args.memory_requests, args.registrations, args.concurrency = 2000, 1200, 20, 5
    shown = [arg for arg in (argv or sys.argv[1:])]
    if "--results" in shown:  # where the raw JSON is kept changes nothing measured
        index = shown.index("--results")
        del shown[index : index + 2]
    command = "make bench" + (f' BENCH_ARGS="{" ".join(shown)}"' if shown else "")
    started = datetime.now(UTC)
    clock = time.monotonic()
    postgres = "postgres" not in args.skip and common.postgres_available()
    results, memory, load = {}, None, None
    with tempfile.TemporaryDirectory(prefix="bench-results-") as tmp:
        if args.results:
            tmp = args.results
            Path(tmp).mkdir(parents=True, exist_ok=True)
        common_args = [
            "--journeys",
            str(args.journeys),
            "--warmup",
            str(args.warmup),
            "--admin-reps",
            str(args.admin_reps),
            "--admin-warmup",
            str(args.admin_warmup),
            "--bulk",
            str(args.bulk),
        ]
        for db in ("sqlite", "postgres"):
            if db in args.skip or (db == "postgres" and not postgres):
                continue
            out = Path(tmp) / f"{db}.json"
            run_step(["-m", "benchmarks.pages", "--db", db, "--out", str(out), *common_args], f"pages on {db}")
            results[db] = json.loads(out.read_text())
        if "memory" not in args.skip:
            out = Path(tmp) / "memory.json"
            db = "postgres" if postgres else "sqlite"
            run_step(
                [
                    "-m",
                    "benchmarks.pages",
                    "--db",
                    db,
                    "--memory",
                    "--requests",
                    str(args.memory_requests),
                    "--out",
                    str(out),
                    "--pg-name",
                    "onboarding_bench_memory",
                ],
                "worker memory",
            )
            memory = json.loads(out.read_text())
        if "load" not in args.skip and postgres:
            out = Path(tmp) / "load.json"
            run_step(
                [
                    "-m",
                    "benchmarks.load",
                    "--registrations",
                    str(args.registrations),
                    "--concurrency",
                    str(args.concurrency),
                    "--json",
                    str(out),
                ],
                "load",
                allow_failure=True,  # errors or rows that do not match: in the report, not hidden
            )
            load = json.loads(out.read_text())
        rib = rib_check() if "rib" not in args.skip else (None, "skipped")
        results["_seconds"] = time.monotonic() - clock
        meta = {
            "command": command,
            "started": started.isoformat(),
            "rib": rib,
            "args": vars(args),
            "seconds": results["_seconds"],
        }
        (Path(tmp) / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
    write_report(args.output, command, started, results, memory, load, rib, args)
    return 0


def report_from(folder, args):
    meta = json.loads((folder / "meta.json").read_text())
    for name, value in meta["args"].items():
        if name not in ("output", "from_results"):
            setattr(args, name, value)
    results = {
        db: json.loads((folder / f"{db}.json").read_text())
        for db in ("sqlite", "postgres")
        if (folder / f"{db}.json").exists()
    }
    results["_seconds"] = meta["seconds"]
    memory = json.loads((folder / "memory.json").read_text()) if (folder / "memory.json").exists() else None
    load = json.loads((folder / "load.json").read_text()) if (folder / "load.json").exists() else None
    write_report(
        args.output,
        meta["command"],
        datetime.fromisoformat(meta["started"]),
        results,
        memory,
        load,
        tuple(meta["rib"]),
        args,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
