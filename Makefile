# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format migrate demo messages check clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --if-empty --county
	$(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerate the message catalogues after changing strings (needs GNU gettext).
messages: $(STAMP)
	$(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv
	$(PY) manage.py compilemessages -l en --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

# The benchmark of issue 6 on PostgreSQL (127.0.0.1:5432, user postgres); writes bench/results.md.
BENCH_SIZES ?= 10000,100000,1000000
BENCH_RUNS ?= 20
# BENCH_COUNTY=5000000:17 also builds a county of 17 towns and times Sanhe's pages in it (issue 15).
BENCH_COUNTY ?=
.PHONY: bench
bench: $(STAMP)
	$(PY) -m bench --sizes $(BENCH_SIZES) --runs $(BENCH_RUNS) $(if $(BENCH_COUNTY),--county $(BENCH_COUNTY))

# The load test of issue 6 (gunicorn + wrk on loopback, PostgreSQL); writes bench/load_results.md.
# Needs wrk (apt-get install wrk). LOAD_ARGS passes options, e.g. LOAD_ARGS="--duration 10 --repeat 1".
LOAD_ARGS ?=
.PHONY: load
load: $(STAMP)
	$(PY) -m bench.load $(LOAD_ARGS)
