# The two commands of the README: `make demo` and `make test`. Both set everything up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# The test suite runs on every core (pytest-xdist); PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto

.PHONY: demo test install install-dev migrate run clean lock serve smoke

$(PY):
	@$(PYTHON) -c "import sys; assert sys.version_info >= (3, 11), sys.version" || { echo "Python 3.11 or newer is needed: set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(PY) pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# PORT=8001 make demo serves on another port; the e-mails' links follow (SITE_URL).
PORT ?= 8000
DEMO_ENV := DJANGO_DEBUG=1 SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}

demo: install
	$(DEMO_ENV) $(PY) manage.py migrate --no-input
	@echo; echo "== The demo's finance staff account (the e-mails are printed below, once the server runs):"
	$(DEMO_ENV) $(PY) manage.py demo_data
	@echo; echo "== The database, the cache and the private files' folder answer (as bin/serve checks them)"
	$(DEMO_ENV) $(PY) manage.py check_services
	@echo
	@echo "== The scheduled jobs run beside the server (invoices to Chorus Pro and their statuses, e-mails to retry…)"
	$(DEMO_ENV) $(PY) manage.py run_jobs --tick 10 & jobs=$$!; trap 'kill $$jobs 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# axe-core for the browser tests (tests/e2e); the browser itself is Debian's chromium.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the browser tests need axe-core (install Node.js and npm)"; fi

test: install-dev node_modules/.installed
	@command -v chromium >/dev/null 2>&1 || [ -n "$$CHROMIUM_PATH" ] || echo "No browser found: the browser tests (tests/e2e) will be skipped. Install one with: apt-get install chromium"
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Screenshots of every supplier page (tests/e2e/tour.py) at 375 and 1280 px, in French and in
# English, under screens/ (ignored by git); the pages wider than 320 px are printed. The browser
# tests' chromium against pytest-django's live server (tests/e2e/screens.py).
.PHONY: screens
screens: install-dev node_modules/.installed
	$(PY) -m pytest tests/e2e/screens.py -p no:randomly -n 0 -q -s

# The exact versions of the runtime and test dependencies, audited in CI: frozen from a venv
# that has only them (never the tools: ruff, bandit, pip-audit; never the bench extra).
LOCK_VENV := $(shell mktemp -u /tmp/onboarding-lock-XXXXXX)
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet '.[test]'
	{ echo "# The exact versions the tests pass with: the runtime dependencies and the test extra, nothing else"; \
	  echo "# (pip freeze of a venv with \`pip install '.[test]'\`). Audited by pip-audit in .ci/run; installed by the Containerfile."; \
	  echo "# Regenerate with \`make lock\` after changing pyproject.toml."; \
	  $(LOCK_VENV)/bin/pip freeze --exclude-editable | grep -v -i '^grenoble-onboarding[= @]'; } > requirements.lock
	rm -rf $(LOCK_VENV) build *.egg-info

# The production start (README « Mise en production »): check --deploy, migrations,
# collectstatic, the services' check, gunicorn. Needs the production environment variables.
serve: install
	PYTHON=$(PY) bin/serve

# The production smoke run of .ci/run on this machine (PostgreSQL running, redis-server installed).
smoke: install
	$(PY) .ci/smoke.py

# Speed and load measurements (benchmarks/): gunicorn on 127.0.0.1, SQLite and PostgreSQL.
# `make bench` writes BENCHMARKS.md (about 15 minutes; BENCH_ARGS="--quick --output /tmp/b.md"
# for a smoke run); `make load` prints the report of 200 registrations, 20 at a time.
.PHONY: bench load
$(VENV)/.installed-bench: $(PY) pyproject.toml
	$(PIP) install --quiet -e '.[bench]'
	touch $@ $(VENV)/.installed

bench: $(VENV)/.installed-bench
	@bash benchmarks/postgres.sh || echo "PostgreSQL could not be started: the benchmark runs on SQLite only"
	$(PY) -m benchmarks.run $(BENCH_ARGS)

load: $(VENV)/.installed-bench
	bash benchmarks/postgres.sh
	$(PY) -m benchmarks.load $(LOAD_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 private-media staticfiles
