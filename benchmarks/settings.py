"""The production settings (onboarding/settings.py, from the environment), plus the floor view.

`make bench` and `make load` serve the app with these: everything else comes from the same
environment variables as in production (DEBUG off, PostgreSQL or SQLite, file e-mails).
"""

from config.settings import *  # noqa: F403

BENCHMARK_FLOOR = True
