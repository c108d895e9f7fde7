"""The scheduled jobs' process (README « Tâches planifiées »): `manage.py run_jobs`.

Start one per machine (or only one): each run of a job happens on one machine only. SIGTERM or
Ctrl-C stop it once the job under way has finished.
"""

import signal

from django.core.management.base import BaseCommand
from django.utils import timezone

from core.jobs import run_due_jobs, run_forever, scheduled_jobs
from core.models import JobRun


class Command(BaseCommand):
    help = "Run the scheduled jobs (config/jobs.py) when they are due, on any number of machines."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the jobs due now, then stop (for a timer).")
        parser.add_argument(
            "--list", action="store_true", dest="list_jobs", help="List the jobs, their period and last run."
        )
        parser.add_argument("--tick", type=float, default=30, help="Seconds between two looks (default 30).")

    def handle(self, *args, once, list_jobs, tick, **options):
        if list_jobs:
            return self.list_jobs()
        if once:
            return self.report(run_due_jobs())
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        names = ", ".join(job.name for job in scheduled_jobs())
        self.stdout.write(f"Running the scheduled jobs ({names}); every {tick:g} s, the due ones.")
        run_forever(tick=tick, stop=lambda: bool(stopping))
        self.stdout.write("Stopped.")

    def report(self, done):
        for name, (succeeded, outcome) in done.items():
            self.stdout.write(f"{name}: {'ok' if succeeded else 'FAILED'} {outcome}".rstrip())
        if not done:
            self.stdout.write("No job due.")

    def list_jobs(self):
        runs = {run.name: run for run in JobRun.objects.all()}
        now = timezone.now()
        for job in scheduled_jobs():
            run = runs.get(job.name)
            last = f"last {run.started_at:%Y-%m-%d %H:%M} on {run.host}" if run and run.started_at else "never run"
            due = "due" if not run or run.next_run_at <= now else f"next {run.next_run_at:%Y-%m-%d %H:%M}"
            self.stdout.write(f"{job.name}: every {job.every}; {last}; {due}")
