# cyberhub — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
VENDOR := src/cyberhub/web/static/vendor
PYTEST_ARGS ?=
# make bench BENCH_OBJECTS=1000000 BENCH_HOT=1000000 for the issue's full-size figures
BENCH_OBJECTS ?= 100000
BENCH_HOT ?= 10000
# make bench BENCH_LANDSCAPE=1000000 for the landscape at the issue's size
BENCH_LANDSCAPE ?= 200000
# the collection whose first TAXII page is timed (BENCH_TAXII_LARGE=100000 for a quick run)
BENCH_TAXII_LARGE ?= 1000000

.PHONY: run serve install assets test faults test-quick test-browser asvs lint audit format system-deps postgres redis bench load-test messages messages-check clean

run: install assets ## install, migrate, load the demo community and serve on :8000
	$(VENV)/bin/cyberhub db upgrade
	$(VENV)/bin/cyberhub refdata load
	$(VENV)/bin/cyberhub demo
	$(VENV)/bin/cyberhub serve --host 127.0.0.1 --port 8000

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

assets: $(VENDOR)/.built

# Front-end libraries from npm (pinned by package-lock.json), copied as they ship; the
# world map is converted once from world-atlas's TopoJSON to the GeoJSON ECharts reads.
$(VENDOR)/.built: package.json package-lock.json scripts/world-geojson.mjs
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/cytoscape/dist/cytoscape.min.js $(VENDOR)/cytoscape.min.js
	cp node_modules/layout-base/layout-base.js $(VENDOR)/layout-base.js
	cp node_modules/cose-base/cose-base.js $(VENDOR)/cose-base.js
	cp node_modules/cytoscape-fcose/cytoscape-fcose.js $(VENDOR)/cytoscape-fcose.js
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	node scripts/world-geojson.mjs node_modules/world-atlas/countries-110m.json $(VENDOR)/world.geojson
	touch $(VENDOR)/.built

system-deps: ## Debian packages the tests need: Chromium, and PostgreSQL when absent
	bash scripts/system-deps.sh

postgres: ## start PostgreSQL if it is installed and not running; record a test URL
	bash scripts/ensure-postgres.sh

redis: ## start Redis if it is installed and not running; record a test URL
	bash scripts/ensure-redis.sh

# The hub's own modules compiled to bytecode first: the suite starts Python processes
# by the hundred (hubs, CLI calls), and where PYTHONDONTWRITEBYTECODE is set each one
# would compile every module from source again.
test: install assets system-deps postgres redis ## the whole suite, on SQLite and PostgreSQL
	$(PY) -m compileall -q src
	$(PY) -m pytest -n 2 --dist loadgroup --durations=20 $(PYTEST_ARGS)

faults: install assets postgres redis ## the fault tests alone (docs/deployment.md, "Faults")
	$(PY) -m pytest -n 2 --dist loadgroup tests/faults $(PYTEST_ARGS)

test-quick: install assets ## inner loop: SQLite only, no browser, no Redis
	$(PY) -m compileall -q src
	CYBERHUB_TEST_ENGINES=sqlite $(PY) -m pytest -n 2 -m "not browser and not redis" $(PYTEST_ARGS)

test-browser: install assets system-deps postgres
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

# make asvs ASVS_ARGS=--run also runs every test the checklist cites, on both engines
ASVS_ARGS ?=
asvs: install ## check docs/security.md: counts against its summary, gaps, cited tests exist
	$(PY) scripts/asvs_check.py $(ASVS_ARGS)

lint: install
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/mypy

# Not part of `make test`: it asks vulnerability services on the network (PyPI's by
# default, make audit AUDIT_SERVICE=osv for OSV; the npm registry's for the front-end
# libraries). A package the service does not know fails the audit (--strict) rather than
# passing unaudited.
AUDIT_SERVICE ?= pypi
audit: install ## a CycloneDX SBOM of the installed packages (var/sbom.cdx.json), pip-audit, npm audit
	mkdir -p var
	$(VENV)/bin/cyclonedx-py environment --pyproject pyproject.toml --mc-type application \
	  --output-reproducible --of JSON -o var/sbom.cdx.json $(PY)
	@echo "SBOM written to var/sbom.cdx.json"
	$(VENV)/bin/pip-audit --local --skip-editable --strict --progress-spinner off \
	  --vulnerability-service $(AUDIT_SERVICE) --desc on
	npm audit --audit-level=moderate

# make load-test LOAD_OBJECTS=1000000 for the issue's size (seeding a million objects takes
# a while; LOAD_ARGS=--reuse keeps a database seeded earlier)
LOAD_OBJECTS ?= 100000
LOAD_ARGS ?=
load-test: install postgres redis ## a hub on PostgreSQL, 4 app processes, 50 users (locust)
	$(PY) -m pip install --quiet -e '.[dev,load]'
	$(PY) bench/load_test.py --objects $(LOAD_OBJECTS) --workers 4 --users 50 --duration 60 \
	  --pg-url "$$(cat var/test-postgres-url)" --redis-url "$$(cat var/test-redis-url)" $(LOAD_ARGS)

bench: install postgres ## benchmarks, each beside a baseline measured in the same run
	$(PY) bench/bench_access.py --engine sqlite --notes 50000
	$(PY) bench/bench_access.py --engine postgresql --notes 50000 --pg-url "$$(cat var/test-postgres-url)"
	$(PY) bench/bench_validate.py
	$(PY) bench/bench_values.py
	$(PY) bench/bench_export.py
	$(PY) bench/bench_misp.py --pg-url "$$(cat var/test-postgres-url)"
	$(PY) bench/bench_import.py --objects $(BENCH_OBJECTS) --hot $(BENCH_HOT) --pg-url "$$(cat var/test-postgres-url)"
	$(PY) bench/bench_chokepoints.py --db
	$(PY) bench/bench_graph.py --pg-url "$$(cat var/test-postgres-url)"
	$(PY) bench/bench_identify.py --notes 100000 --baseline 5
	$(PY) bench/bench_ransomware.py --incidents 100000 --pg-url "$$(cat var/test-postgres-url)"
	$(PY) bench/bench_landscape.py --objects $(BENCH_LANDSCAPE) --pg-url "$$(cat var/test-postgres-url)"
	$(PY) bench/bench_taxii.py --objects $(BENCH_OBJECTS) --large $(BENCH_TAXII_LARGE) --pg-url "$$(cat var/test-postgres-url)"
	$(PY) bench/bench_sync.py --objects 100000 --pg-url "$$(cat var/test-postgres-url)"
	$(PY) bench/bench_deconfliction.py --registrations 1000000 --checks 10000 --pg-url "$$(cat var/test-postgres-url)"
	$(PY) bench/bench_keyring.py

messages: install ## extract every translatable string into the catalogue template
	mkdir -p src/cyberhub/locale
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output \
	  -k pgettext:1c,2 -k npgettext:1c,2,3 \
	  -o src/cyberhub/locale/messages.pot src/cyberhub

messages-check: install ## fail on untranslated template text, a stale template or an incomplete catalogue
	$(PY) -m cyberhub.i18n_check

format: install
	$(VENV)/bin/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache
