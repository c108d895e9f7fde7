"""What the benchmark scripts share: the environment, gunicorn on 127.0.0.1, the databases,
the e-mailed links (file e-mail backend), worker memory, and statistics.

Nothing here ever talks to anything but 127.0.0.1.
"""

import email
import email.policy
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"  # loopback only: the benchmarks never aim at anything else

# PostgreSQL: the role that .ci/run (and benchmarks/postgres.sh) creates; the benchmarks make
# their own databases with it and drop them afterwards.
DEFAULT_PG_URL = "postgres://onboarding:onboarding@127.0.0.1:5432/postgres"


def with_persistent_connections(database_url, seconds=600):
    """PostgreSQL: keep each worker's connection (CONN_MAX_AGE), as a production DATABASE_URL
    should (`?conn_max_age=600`); a new connection per request costs several milliseconds."""
    if not database_url.startswith("postgres") or "conn_max_age" in database_url:
        return database_url
    return database_url + ("&" if "?" in database_url else "?") + f"conn_max_age={seconds}"


def bench_env(*, database_url, workdir, port, extra=None):
    """Production settings from the environment, as in production, except what a loopback
    benchmark needs: plain HTTP, the captcha's test word, no rate limits (every request comes
    from 127.0.0.1), e-mails as files to read the links from."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "EMAIL_URL", "SITE_URL", "CAPTCHA_", "RATELIMIT_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "benchmark-only-key-never-in-production-" + "x" * 20),
        ALLOWED_HOSTS=f"{HOST},localhost",
        DATABASE_URL=database_url,
        # Four slashes: django-environ drops the first one of the path (filemail:///x is x, relative).
        EMAIL_URL=f"filemail:///{workdir / 'mails'}",
        PRIVATE_MEDIA_ROOT=str(workdir / "private-media"),
        SITE_URL=f"http://{HOST}:{port}",
        CAPTCHA_TEST_MODE="1",
        RATELIMIT_ENABLE="0",
        LOG_LEVEL="ERROR",
        STATIC_HASHED="0",  # no collectstatic before a benchmark: plain static names
        # As bin/serve: large buffers (an Argon2id hash's 19 MiB) given back when freed.
        MALLOC_MMAP_THRESHOLD_=os.environ.get("MALLOC_MMAP_THRESHOLD_", "131072"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra or {})
    return env


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def make_workdir(prefix):
    path = Path(tempfile.mkdtemp(prefix=prefix))
    (path / "mails").mkdir()
    (path / "private-media").mkdir()
    return path


# --- databases ------------------------------------------------------------------------------


def postgres_admin_url():
    return os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG_URL)


def postgres_available():
    try:
        import psycopg

        with psycopg.connect(_psycopg_dsn(postgres_admin_url()), connect_timeout=3):
            return True
    except Exception as error:  # noqa: BLE001 - any failure means: no PostgreSQL for this run
        print(f"PostgreSQL not reachable at {postgres_admin_url()}: {error}", file=sys.stderr)
        return False


def _psycopg_dsn(url):
    return url.replace("postgres://", "postgresql://", 1)


def fresh_postgres_database(name):
    """Drop and create database `name` with the benchmark role; return its DATABASE_URL."""
    import psycopg

    assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), name
    with psycopg.connect(_psycopg_dsn(postgres_admin_url()), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_admin_url().rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(name):
    import psycopg

    with psycopg.connect(_psycopg_dsn(postgres_admin_url()), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env, *args, timeout=600):
    """Run manage.py with the benchmark environment; return its output."""
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip()


# --- gunicorn -------------------------------------------------------------------------------


class Server:
    """gunicorn serving the app on 127.0.0.1:port, sync workers (as deployed)."""

    def __init__(self, env, port, *, workers=2, log_path):
        self.env, self.port, self.workers, self.log_path = env, port, workers, log_path
        self.process = None
        self.base_url = f"http://{HOST}:{port}"

    def start(self):
        try:
            return self._start()
        except BaseException:
            self.stop()  # never leave a server behind
            raise

    def _start(self):
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--config",
                str(ROOT / "benchmarks" / "gunicorn.conf.py"),  # not the production one
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--timeout",
                "120",
                "--graceful-timeout",
                "5",
                "--error-logfile",
                "-",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log_path}")
            try:
                # Each worker imports the app on its first request (no --preload, as deployed).
                if requests.get(f"{self.base_url}/banc/plancher/", timeout=10).status_code == 200:
                    if len(self.worker_pids()) == self.workers:
                        return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log_path}")

    def worker_pids(self):
        return sorted(children_of(self.process.pid))

    def worker_rss_mb(self):
        return {pid: rss_mb(pid) for pid in self.worker_pids()}

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def children_of(pid):
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
        return found


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- e-mails --------------------------------------------------------------------------------

SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what Django's file backend writes after each message
# The floor is timed with a session like a wizard's: opening the first page no longer writes one
# (onboarding.storage.WizardSessionStorage), a step opened by its URL is stored, so this does.
WIZARD_SESSION_PATH = "/inscription/structure/"

SIGNING_LINK = re.compile(r"https?://[^\s/]+(/mandats/signer/[^/\s]+/)")
ACTIVATION_LINK = re.compile(r"https?://[^\s/]+(/activation/[^/\s]+/)")


class Mailbox:
    """The messages the app wrote with EMAIL_URL=filemail://DIR, by recipient (thread-safe)."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.consumed = {}  # bytes of each file already parsed: a file can receive more messages
        self.by_recipient = {}
        self.lock = threading.Lock()

    def _scan(self):
        # Django names each file after the second and the backend object's id(): two workers
        # (forked, same addresses) can append to the same file in the same second.
        for path in sorted(self.directory.glob("*.log")):
            start = self.consumed.get(path, 0)
            if path.stat().st_size <= start:
                continue
            with open(path, "rb") as handle:
                handle.seek(start)
                data = handle.read()
            end = data.rfind(SEPARATOR)
            if end < 0:
                continue  # a message still being written
            complete = data[: end + len(SEPARATOR)]
            self.consumed[path] = start + len(complete)
            for raw in complete.split(SEPARATOR):
                if raw.strip():
                    message = email.message_from_bytes(raw, policy=email.policy.default)
                    for to in message.get_all("To", []):
                        self.by_recipient.setdefault(str(to).strip().lower(), []).append(message)

    def link(self, recipient, pattern=SIGNING_LINK, timeout=10):
        """The path of the first link matching `pattern` e-mailed to `recipient`."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                self._scan()
                for message in self.by_recipient.get(recipient.lower(), []):
                    body = message.get_body(preferencelist=("plain",))
                    match = pattern.search(body.get_content() if body else "")
                    if match:
                        return match.group(1)
            if time.monotonic() > deadline:
                raise LookupError(f"no link e-mailed to {recipient}")
            time.sleep(0.05)


# --- statistics -----------------------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = fraction * (len(ordered) - 1)
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def summary(values):
    return {
        "n": len(values),
        "median": statistics.median(values) if values else float("nan"),
        "p95": percentile(values, 0.95),
    }


@contextmanager
def workdir(prefix, keep=False):
    path = make_workdir(prefix)
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def machine_description():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    osname = "?"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                osname = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return f"{os.cpu_count()} × {cpu}, {mem_kb / 1024 / 1024:.0f} GiB RAM, {osname}, Python {sys.version.split()[0]}"
