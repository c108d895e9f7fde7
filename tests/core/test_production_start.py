"""The production start's files: gunicorn.conf.py's access line, `make demo`'s port, the lock."""

import json
import runpy
import subprocess
from datetime import timedelta
from pathlib import Path

from gunicorn.glogging import Logger, SafeAtoms

from core.requestid import json_string_content

ROOT = Path(__file__).resolve().parents[2]


def gunicorn_config(**env):
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


class Response:
    status = "429 Too Many Requests"
    sent = 1234
    headers = [("X-Request-ID", "abc")]


def test_its_access_line_is_json_without_the_path_or_the_query():
    config = gunicorn_config()
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/activation/TOKEN/?next=secret",
        "PATH_INFO": "/activation/TOKEN/",
        "QUERY_STRING": "next=secret",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.7",
        "HTTP_USER_AGENT": 'Mozilla "quoted" \\ agent',
        # What core/requestid.py puts there, already escaped for JSON:
        "onboarding.request_id": "0123456789abcdef0123456789abcdef",
        "onboarding.route": json_string_content('/unknown/"quoted"\\back\nslash/'),
    }
    atoms = Logger.atoms(Logger.__new__(Logger), Response(), [], environ, timedelta(milliseconds=42))
    line = config["access_log_format"] % SafeAtoms(atoms)
    entry = json.loads(line)
    assert entry["type"] == "access" and entry["status"] == 429 and entry["duration_ms"] == 42
    assert entry["request_id"] == "0123456789abcdef0123456789abcdef"
    assert entry["route"] == '/unknown/"quoted"\\back\nslash/'
    assert "TOKEN" not in line and "secret" not in line and "Mozilla" not in line


def test_its_access_line_stays_json_for_a_request_the_app_never_saw():
    config = gunicorn_config()
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/", "SERVER_PROTOCOL": "HTTP/1.1"}
    atoms = Logger.atoms(Logger.__new__(Logger), Response(), [], environ, timedelta(seconds=1))
    entry = json.loads(config["access_log_format"] % SafeAtoms(atoms))
    assert entry["request_id"] == "-" and entry["route"] == "-"


def test_it_sizes_the_workers_from_the_cpus_and_recycles_them_with_jitter():
    config = gunicorn_config()
    assert config["workers"] >= 3  # 2 × CPUs + 1 unless WEB_CONCURRENCY says otherwise
    assert config["max_requests"] == 1000 and config["max_requests_jitter"] == 100
    assert config["timeout"] == 30 and config["accesslog"] == "-"


def test_make_demo_serves_on_another_port_with_the_e_mails_links_following():
    dry_run = subprocess.run(
        ["make", "-n", "demo", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout
    assert "runserver 127.0.0.1:8123" in dry_run
    assert "SITE_URL=${SITE_URL:-http://127.0.0.1:8123}" in dry_run


def test_the_lock_holds_no_tool_and_no_bench_dependency():
    lock = (ROOT / "requirements.lock").read_text().lower().replace("_", "-")
    for tool in ("pip-audit", "pip-api", "bandit", "ruff", "pyinstrument", "cyclonedx"):
        assert f"\n{tool}==" not in lock
    for needed in ("django==", "gunicorn==", "whitenoise==", "redis==", "django-storages==", "pytest=="):
        assert f"\n{needed}" in lock


def test_gunicorns_own_messages_are_json_lines_too(capsys):
    config = gunicorn_config()
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("errorlog", "-")
    logger = config["logger_class"](cfg)
    logger.error("Worker (pid:%s) was sent SIGKILL! Perhaps out of memory?", 4242)
    entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert entry["level"] == "ERROR" and entry["logger"] == "gunicorn.error"
    assert entry["message"] == "Worker (pid:4242) was sent SIGKILL! Perhaps out of memory?"
