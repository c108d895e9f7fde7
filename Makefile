# The two commands of the README: `make demo` and `make test`. Both set everything up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# The test suite runs on every core (pytest-xdist); PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto

.PHONY: demo test install install-dev migrate run clean lock

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

demo: install
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=1 $(PY) manage.py demo_data
	DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

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

# The exact versions of the runtime and test dependencies, audited in CI.
lock: install-dev
	{ echo "# The exact versions the tests pass with (pip freeze of \`make test\`), audited by pip-audit in .ci/run."; \
	  echo "# Regenerate with \`make lock\` after changing pyproject.toml."; \
	  $(PIP) freeze --exclude-editable | grep -v -iE '^(pip-audit|bandit|cyclonedx-python-lib|rich|stevedore|pbr|markdown-it-py|mdurl|pygments|license-expression|boolean.py|cachecontrol|msgpack|packageurl-python|pip-requirements-parser|py-serializable|sortedcontainers|toml|tomli|tomli-w|defusedxml|filelock|platformdirs|lockfile)=='; } > requirements.lock

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
