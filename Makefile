# Two commands do everything: `make run` and `make test` (see README.md).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The venv has the runtime lock and the dev lock on top (tests, lint, benchmarks); the image only the first.
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
export PYTHONUNBUFFERED := 1

.PHONY: run test lint manage bench bench-smoke clean

# The browser the CORS test drives (tests/test_browser_cors.py): Debian's chromium, installed here
# when missing and we are root (CI is); elsewhere the test says how to install it.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; \
	else echo "chromium is missing and cannot be installed here: the browser test will be skipped"; fi

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

## run: embedded or configured servers, migrate, demo data, write API, read API, workers, beat
run: $(STAMP)
	$(BIN)/python -m infra.with_services -- $(BIN)/python -m infra.supervise

## test: the whole suite against real PostgreSQL and Redis (embedded unless the URLs are set)
test: $(STAMP) $(CHROMIUM)
	DATA_DIR=$${TEST_DATA_DIR:-$(CURDIR)/var/test} EVENT_DISPATCH=off THROTTLE_AUTH=$${THROTTLE_AUTH:-100000/min} \
	  $(BIN)/python -m infra.with_services -- $(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: ruff, the import contracts and mypy (tests/test_lint.py runs the same inside `make test`)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## manage: ARGS="projections status" runs a management command with the servers available
manage: $(STAMP)
	$(BIN)/python -m infra.with_services -- $(BIN)/python manage.py $(ARGS)

## bench: dataset at BENCH_SCALE (medium; smoke, large), every scenario, bench/RESULTS.md + charts (long)
bench: $(STAMP)
	DATA_DIR=$${BENCH_DATA_DIR:-$(CURDIR)/var/bench} $(BIN)/python -m infra.with_services -- \
	  $(BIN)/python -m bench --scale $${BENCH_SCALE:-medium} $(BENCH_ARGS)

## bench-smoke: the smoke scale in about a minute (tests/test_bench_smoke.py runs it inside `make test`)
bench-smoke: $(STAMP)
	DATA_DIR=$${BENCH_DATA_DIR:-$(CURDIR)/var/bench-smoke} $(BIN)/python -m infra.with_services -- \
	  $(BIN)/python -m bench --scale smoke $(BENCH_ARGS)

clean:
	rm -rf var/test
