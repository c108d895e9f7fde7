"""Scheduled jobs without cron lines: `manage.py run_jobs`, one process per machine or one in all.

The list is `settings.SCHEDULED_JOBS` (config/jobs.py): a name, a period and a function that
takes no argument and returns what it did (a count, a short text). Adding a job is one line there.

Safe on several machines at once: each run of a job is claimed by one conditional UPDATE of its
JobRun row (`next_run_at <= now` → `now + every`); the database lets one claim win, the others
see the new date and skip it. A job that fails is logged and recorded, and waits its next turn.
The jobs themselves are idempotent (a second run finds nothing left to do), and the e-mail
retry locks each message it sends (`select_for_update(skip_locked=True)`), so even two runs at
once would not send a message twice.
"""

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import JobRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: object  # a callable without arguments; what it returns is logged


def scheduled_jobs():
    return list(import_string(settings.SCHEDULED_JOBS))


def host_name():
    return f"{socket.gethostname()}:{os.getpid()}"[:255]


def claim(job, now):
    """True when this process wins the run of `job` that is due at `now`."""
    JobRun.objects.bulk_create([JobRun(name=job.name, next_run_at=now)], ignore_conflicts=True)
    won = JobRun.objects.filter(name=job.name, next_run_at__lte=now).update(
        next_run_at=now + job.every, started_at=now, finished_at=None, succeeded=None, host=host_name(), outcome=""
    )
    return won == 1


def run_job(job):
    started = time.monotonic()
    try:
        result = job.run()
    except Exception as error:
        logger.exception("Job %s failed", job.name)
        succeeded, outcome = False, f"{type(error).__name__}: {error}"[:1000]
    else:
        succeeded, outcome = True, "" if result is None else str(result)[:1000]
        logger.info(
            "Job %s done in %.1f s: %s",
            job.name,
            time.monotonic() - started,
            outcome,
            extra={"event": "job.done", "fields": {"job": job.name, "result": outcome}},
        )
    JobRun.objects.filter(name=job.name).update(finished_at=timezone.now(), succeeded=succeeded, outcome=outcome)
    return succeeded, outcome


def run_due_jobs(now=None, jobs=None):
    """Run the jobs due now that no other process has claimed; {name: (succeeded, outcome)}."""
    done = {}
    for job in jobs if jobs is not None else scheduled_jobs():
        if claim(job, now or timezone.now()):
            done[job.name] = run_job(job)
    return done


def drop_stale_connections():
    """A long-lived process: drop a connection the database closed, or older than CONN_MAX_AGE
    (as Django does around each request). Never inside a transaction (the tests run in one)."""
    if not connection.in_atomic_block:
        close_old_connections()


def run_forever(tick=30, stop=lambda: False, sleep=time.sleep):
    """The `run_jobs` loop: every `tick` seconds, the due jobs; until `stop()` says so."""
    while not stop():
        drop_stale_connections()
        run_due_jobs()
        slept = 0.0
        while slept < tick and not stop():
            sleep(min(1.0, tick - slept))
            slept += 1.0
