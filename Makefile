# evalplatform — `make run` serves the platform, `make test` runs the whole suite.
# Both set everything up first: system packages (CJK fonts, Pango, HarfBuzz subsetting,
# poppler), a virtualenv with pinned Python packages, the database schema.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMPS := .make
SYSTEM_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
                   poppler-utils chromium
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-pg setup system venv db lint clean bench

run: setup db
	@$(FLASK) demo load --if-empty
	@echo
	@echo "  evalplatform is starting on http://127.0.0.1:5000"
	@echo "  staff log-in:   http://127.0.0.1:5000/login"
	@if [ -f instance/demo-accounts.txt ]; then echo "  demo accounts (instance/demo-accounts.txt):"; sed 's/^/    /' instance/demo-accounts.txt; fi
	@echo "  unused demo codes: instance/demo-codes.csv  (open http://127.0.0.1:5000/s/<code>)"
	@echo
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite against the local PostgreSQL (CI runs both).
test-pg: setup
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

setup: system venv

system: $(STAMPS)/system
$(STAMPS)/system: Makefile
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@mkdir -p $(STAMPS) && touch $@

venv: $(STAMPS)/venv
$(STAMPS)/venv: setup.cfg pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	@for p in plugins/*/; do \
	  if [ -f "$$p/setup.cfg" ]; then $(BIN)/pip install -q -c constraints.txt -e "$$p" || exit 1; fi; \
	done
	@mkdir -p $(STAMPS) && touch $@

db: venv
	@$(FLASK) db upgrade

lint: venv
	$(BIN)/ruff check evalplatform plugins tests conftest.py migrations/env.py

clean:
	rm -rf $(VENV) $(STAMPS) *.egg-info

bench: setup
	$(BIN)/python bench/run.py
