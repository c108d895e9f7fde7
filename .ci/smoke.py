"""The production smoke run (`.ci/run`; README « Mise en production »).

Starts what a production has, on this machine's loopback only: PostgreSQL (already running: .ci/run
starts the cluster), a Redis of its own (Debian's redis-server, on a free port) and the app by its
production start, bin/serve (DEBUG off, check --deploy, migrations, collectstatic, gunicorn with
gunicorn.conf.py, two workers). Then, over HTTP:

- a static CSS file answers 200 under a hashed name, compressed, with a far-future cache header;
- the landing page, the wizard's first step and the admin's login answer 200 with their CSS
  linked (hashed), and the admin's own CSS answers too;
- /sante/ answers 200, every service "ok";
- a rate limit of N allows exactly N across both workers sharing Redis (2N requests at once);
- gunicorn wrote one JSON line per request, with its request id, and both workers answered;
  its own messages are JSON lines too.

Then it stops everything it started (gunicorn, Redis, its database) and prints its duration.

Environment: SMOKE_POSTGRES_URL (an admin URL whose role may create databases; default the
role .ci/run creates), SMOKE_DATABASE (default onboarding_smoke), SMOKE_PORT and SMOKE_REDIS_PORT
(default: free ports).
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
RATE_LIMIT = 5  # "resend-email", per address: all requests come from 127.0.0.1
HASHED_CSS = re.compile(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"')


class SmokeFailure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise SmokeFailure(message)
    print(f"  ok  {message}")


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for(what, test, timeout, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SmokeFailure(f"{what}: the process exited ({process.returncode})")
        try:
            if test():
                return
        except (OSError, requests.RequestException):
            pass
        time.sleep(0.25)
    raise SmokeFailure(f"{what}: no answer within {timeout} s")


class Started:
    """What this run started, stopped in reverse order whatever happens."""

    def __init__(self):
        self.stops = []

    def add(self, stop):
        self.stops.append(stop)

    def stop_all(self):
        for stop in reversed(self.stops):
            try:
                stop()
            except Exception as error:  # noqa: BLE001 - stop the others all the same
                print(f"  (while stopping: {error})", file=sys.stderr)


def stop_process_group(process, timeout=30):
    """SIGTERM to the group this run created for `process` (gunicorn's master and its workers)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def start_redis(started, port, workdir):
    redis_server = shutil.which("redis-server")
    if not redis_server:
        raise SmokeFailure("redis-server is not installed (apt-get install redis-server)")
    log = open(workdir / "redis.log", "wb")
    process = subprocess.Popen(
        [redis_server, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started.add(lambda: (stop_process_group(process), log.close()))

    def pong():
        with socket.create_connection((HOST, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    wait_for("redis-server", pong, 20, process)
    return f"redis://{HOST}:{port}/0"


def fresh_database(started, admin_url, name):
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SmokeFailure(f"SMOKE_DATABASE must be a plain name, not {name!r}")
    dsn = admin_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    started.add(drop)
    return admin_url.rsplit("/", 1)[0] + "/" + name + "?conn_max_age=600"


def app_environment(*, database_url, cache_url, port, workdir):
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "STATIC_", "PYTEST", "RATELIMIT_"))}
    return {
        **keep,
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",  # plain HTTP on loopback: no TLS here
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "SITE_URL": f"http://{HOST}:{port}",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "EMAIL_URL": "dummymail://",
        "PRIVATE_MEDIA_ROOT": str(workdir / "private-media"),
        "STATIC_ROOT": str(workdir / "static"),
        "CAPTCHA_TEST_MODE": "1",  # for this run only,
        "SMOKE_RUN_ON_LOOPBACK": "1",  # and check --deploy is told so (it fails on anything but loopback)
        "RATELIMIT_RESEND_EMAIL": f"{RATE_LIMIT}/h",
        "GUNICORN_BIND": f"{HOST}:{port}",
        "WEB_CONCURRENCY": "2",
        "PYTHON": sys.executable,
    }


def start_app(started, env, workdir):
    log_path = workdir / "serve.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [str(ROOT / "bin" / "serve")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    started.add(lambda: (stop_process_group(process), log.close()))
    base = f"http://{env['GUNICORN_BIND']}"
    try:
        wait_for("bin/serve", lambda: requests.get(f"{base}/sante/", timeout=5).status_code == 200, 240, process)
    except SmokeFailure:
        print(log_path.read_text(errors="replace")[-6000:], file=sys.stderr)
        raise
    return base, log_path


def check_static(base, html, label):
    match = HASHED_CSS.search(html)
    check(match is not None, f"{label}: its CSS is linked under a hashed name")
    response = requests.get(base + match.group(1), headers={"Accept-Encoding": "br, gzip"}, timeout=10)
    check(response.status_code == 200, f"{label}: {match.group(1)} answers 200")
    check(response.headers["Content-Type"].startswith("text/css"), f"{label}: served as text/css")
    max_age = int(re.search(r"max-age=(\d+)", response.headers.get("Cache-Control", "")).group(1))
    check(max_age >= 365 * 24 * 3600, f"{label}: cached for ever ({response.headers['Cache-Control']})")
    check(response.headers.get("Content-Encoding") in ("br", "gzip"), f"{label}: compressed")


def check_pages(base, static_root):
    for label, path in [("landing", "/"), ("wizard's first step", "/inscription/compte/"), ("admin", "/admin/login/")]:
        response = requests.get(base + path, timeout=10)
        check(response.status_code == 200, f"{label}: {path} answers 200 (at {response.url[len(base) :]})")
        check_static(base, response.text, label)
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    admin_css = "/static/" + manifest["admin/css/base.css"]
    response = requests.get(base + admin_css, timeout=10)
    check(response.status_code == 200, f"the admin's own CSS answers 200 ({admin_css})")
    missing = requests.get(base + "/static/css/no-such-file.css", timeout=10)
    check(missing.status_code == 404, "an unknown static file answers 404")


def check_health(base):
    response = requests.get(base + "/sante/", timeout=10)
    check(response.status_code == 200, "/sante/ answers 200")
    check(
        response.json() == {"statut": "ok", "database": "ok", "cache": "ok", "storage": "ok"},
        f"/sante/ says every service answers: {response.text}",
    )


def check_rate_limit(base):
    """2N posts at once on a limit of N: exactly N pass, whichever worker takes them."""
    session = requests.Session()
    session.get(base + "/connexion/", timeout=10)
    token = session.cookies.get("csrftoken")
    check(bool(token), "a CSRF cookie is given")
    barrier = threading.Barrier(2 * RATE_LIMIT)

    def post(_):
        barrier.wait(30)
        response = requests.post(
            base + "/activation/nouveau-lien/",
            data={"email": "personne@exemple.fr", "csrfmiddlewaretoken": token},
            cookies={"csrftoken": token},
            timeout=30,
        )
        return response.status_code, response.headers.get("X-Request-ID")

    with ThreadPoolExecutor(2 * RATE_LIMIT) as pool:
        answers = list(pool.map(post, range(2 * RATE_LIMIT)))
    statuses = sorted(status for status, _ in answers)
    check(
        statuses == [200] * RATE_LIMIT + [429] * RATE_LIMIT,
        f"a limit of {RATE_LIMIT} allows exactly {RATE_LIMIT} of {2 * RATE_LIMIT} requests at once: {statuses}",
    )
    return {request_id for _, request_id in answers}


def check_access_log(log_path, request_ids):
    """gunicorn's access lines: JSON, each with its request id; both workers answered the posts."""
    time.sleep(0.5)  # the last lines reach the file
    entries = []
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):  # gunicorn's and the app's lines (bin/serve's own steps are text)
            entries.append(json.loads(line))  # fails the run if a line is not JSON
    access = [entry for entry in entries if entry.get("type") == "access"]
    check(len(access) >= 10, f"gunicorn wrote {len(access)} JSON access lines")
    booted = [entry for entry in entries if entry.get("logger") == "gunicorn.error"]
    check(len(booted) >= 3, "gunicorn's own messages are JSON lines too (master and workers booting)")
    check(all(re.fullmatch(r"[0-9a-f]{32}", entry["request_id"]) for entry in access), "each has a request id")
    posts = [entry for entry in access if entry["request_id"] in request_ids]
    check(len(posts) == len(request_ids), "each rate-limited post has its access line")
    workers = {entry["worker"] for entry in posts}
    check(len(workers) == 2, f"both workers answered the rate-limited posts ({', '.join(sorted(workers))})")
    check(all(entry["route"] == "activation/nouveau-lien/" for entry in posts), "the line names the route")


def main():
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="smoke-"))
    started = Started()
    started.add(lambda: shutil.rmtree(workdir, ignore_errors=True))
    try:
        print("== smoke: PostgreSQL database, Redis, bin/serve (gunicorn, 2 workers)")
        admin_url = os.environ.get("SMOKE_POSTGRES_URL", "postgres://onboarding:onboarding@127.0.0.1:5432/postgres")
        database_url = fresh_database(started, admin_url, os.environ.get("SMOKE_DATABASE", "onboarding_smoke"))
        cache_url = start_redis(started, int(os.environ.get("SMOKE_REDIS_PORT") or free_port()), workdir)
        port = int(os.environ.get("SMOKE_PORT") or free_port())
        env = app_environment(database_url=database_url, cache_url=cache_url, port=port, workdir=workdir)
        base, log_path = start_app(started, env, workdir)
        print(f"  ok  bin/serve answers on {base} after {time.monotonic() - began:.0f} s")
        check_pages(base, workdir / "static")
        check_health(base)
        request_ids = check_rate_limit(base)
        check_access_log(log_path, request_ids)
    except SmokeFailure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    except Exception:  # an answer not shaped as expected: the traceback says which
        traceback.print_exc()
        print("FAILED: see the traceback above", file=sys.stderr)
        return 1
    finally:
        started.stop_all()
    print(f"== smoke: passed in {time.monotonic() - began:.0f} s, everything it started is stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
