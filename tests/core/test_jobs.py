"""The scheduled jobs (core/jobs.py, config/jobs.py, `manage.py run_jobs`)."""

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from config.jobs import JOBS
from core import jobs
from core.emails import retry_pending_emails
from core.jobs import Job, run_due_jobs, run_forever
from core.models import JobRun, PendingEmail

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two runs at once need PostgreSQL's row locks (CI runs both)"
)


class Counter:
    def __init__(self, pause=0.0):
        self.calls, self.pause, self.lock = 0, pause, threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls += 1
        time.sleep(self.pause)
        return self.calls


def test_it_lists_the_jobs_of_the_readme_with_their_periods():
    assert {job.name: job.every for job in JOBS} == {
        "retry_emails": timedelta(minutes=5),
        "expire_mandates": timedelta(days=1),
        "purge_wizard_files": timedelta(days=1),
        "purge_used_codes": timedelta(days=1),
        "clear_sessions": timedelta(days=1),
        "transmit_invoices": timedelta(minutes=1),
        "follow_invoices": timedelta(minutes=1),  # the stub's statuses move each minute
        "refresh_city_services": timedelta(days=1),
    }


def test_it_runs_a_due_job_once_then_waits_for_its_period():
    counter = Counter()
    job = Job("count", every=timedelta(minutes=5), run=counter)
    now = timezone.now()
    assert run_due_jobs(now, [job]) == {"count": (True, "1")}
    assert run_due_jobs(now + timedelta(minutes=4), [job]) == {}
    assert run_due_jobs(now + timedelta(minutes=5), [job]) == {"count": (True, "2")}
    run = JobRun.objects.get(name="count")
    assert run.succeeded is True and run.finished_at and run.host
    assert run.next_run_at == now + timedelta(minutes=10)


def test_it_records_a_failing_job_and_runs_the_others():
    def broken():
        raise ConnectionRefusedError("SMTP server down")

    counter = Counter()
    done = run_due_jobs(jobs=[Job("broken", timedelta(minutes=5), broken), Job("count", timedelta(minutes=5), counter)])
    assert done == {"broken": (False, "ConnectionRefusedError: SMTP server down"), "count": (True, "1")}
    assert JobRun.objects.get(name="broken").succeeded is False


def test_it_runs_every_real_job_without_error(settings):
    done = run_due_jobs()
    assert set(done) == {job.name for job in JOBS}
    assert all(succeeded for succeeded, _ in done.values()), done


def test_it_runs_the_due_jobs_from_the_command_and_lists_them(capsys):
    call_command("run_jobs", "--once")
    out = capsys.readouterr().out
    assert "retry_emails: ok (0, 0)" in out
    call_command("run_jobs", "--once")
    assert capsys.readouterr().out.strip() == "No job due."
    call_command("run_jobs", "--list")
    assert "retry_emails: every 0:05:00; last " in capsys.readouterr().out


def test_the_loop_stops_when_told(monkeypatch):
    counter = Counter()
    monkeypatch.setattr(jobs, "scheduled_jobs", lambda: [Job("count", timedelta(seconds=1), counter)])
    ticks = []
    run_forever(tick=1, stop=lambda: len(ticks) >= 3, sleep=ticks.append)
    assert counter.calls == 1  # no second run within the period: the clock did not move


def run_at_once(target, count=2):
    """`target` in `count` threads released together, each with its own database connection."""
    barrier = threading.Barrier(count)
    errors = []

    def worker():
        try:
            barrier.wait()
            target()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_run_a_due_job_once():
    counter = Counter(pause=0.5)
    job = Job("count", every=timedelta(minutes=5), run=counter)
    now = timezone.now()
    run_at_once(lambda: run_due_jobs(now, [job]), count=3)
    assert counter.calls == 1


class SlowBackend(EmailBackend):
    def send_messages(self, messages):
        time.sleep(0.05)  # long enough for the other run to reach the same message
        return super().send_messages(messages)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_retries_at_once_send_each_waiting_email_once(settings):
    settings.EMAIL_BACKEND = "tests.core.test_jobs.SlowBackend"
    for n in range(10):
        PendingEmail.objects.create(
            recipient=f"f{n}@exemple.fr", recipients=[f"f{n}@exemple.fr"], subject="S", body="B"
        )
    mail.outbox = []
    run_at_once(retry_pending_emails)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(f"f{n}@exemple.fr" for n in range(10))
    assert PendingEmail.objects.filter(sent_at__isnull=True).count() == 0
    assert set(PendingEmail.objects.values_list("attempts", flat=True)) == {2}


def test_a_second_retry_finds_nothing_left_to_send():
    PendingEmail.objects.create(recipient="f@exemple.fr", recipients=["f@exemple.fr"], subject="S", body="B")
    assert retry_pending_emails() == (1, 0)
    assert retry_pending_emails() == (0, 0)
    assert len(mail.outbox) == 1
