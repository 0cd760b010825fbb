# evalplatform — `make run` serves the platform, `make test` runs the whole suite.
# Both set everything up first: system packages (CJK fonts, Pango, HarfBuzz subsetting,
# poppler; chromium and zbar for the tests), a virtualenv with pinned Python packages, the database schema.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMPS := .make
SYSTEM_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
                   poppler-utils chromium zbar-tools
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
AXE := tests/e2e/node_modules/axe-core/axe.min.js
#: Fonts of official documents (仿宋 and 宋 for the bulletin's GB/T 9704 layout).
FONTS_DIR := /usr/local/share/fonts/fandol

.PHONY: run test test-sqlite test-pg setup system venv translations i18n db lint clean bench

# Where `make run` serves (GUNICORN_BIND), and the address phones on this network reach.
RUN_BIND := $(or $(GUNICORN_BIND),127.0.0.1:5000)
RUN_PORT := $(lastword $(subst :, ,$(RUN_BIND)))
RUN_HOST := $(if $(filter 0.0.0.0,$(firstword $(subst :, ,$(RUN_BIND)))),$(shell hostname -I 2>/dev/null | awk '{print $$1}'),$(firstword $(subst :, ,$(RUN_BIND))))
RUN_URL := http://$(or $(RUN_HOST),127.0.0.1):$(RUN_PORT)

run: setup db
	@$(FLASK) demo load --if-empty
	@echo
	@echo "  evalplatform is starting on $(RUN_URL)"
	@echo "  staff log-in:   $(RUN_URL)/login"
	@if [ -f instance/demo-accounts.txt ]; then echo "  demo accounts (instance/demo-accounts.txt):"; sed 's/^/    /' instance/demo-accounts.txt; fi
	@echo "  unused demo codes: instance/demo-codes.csv  (open $(RUN_URL)/s/<code>)"
	@case "$(RUN_BIND)" in 127.*|localhost*) echo "  only this computer can open it; to try it from a phone on the same network:"; \
	  echo "    make run GUNICORN_BIND=0.0.0.0:$(RUN_PORT) PUBLIC_BASE_URL=http://$$(hostname -I 2>/dev/null | awk '{print $$1}'):$(RUN_PORT)";; esac
	@echo
	GUNICORN_BIND=$(RUN_BIND) $(if $(PUBLIC_BASE_URL),PUBLIC_BASE_URL=$(PUBLIC_BASE_URL)) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: setup $(AXE)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite against the local PostgreSQL (CI runs both).
test-pg: setup $(AXE)
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

setup: system venv translations

# axe-core, which the browser tests run in every page they look at (pinned in
# tests/e2e/package-lock.json, from the npm registry).
$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	@command -v npm >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	@cd tests/e2e && npm ci --silent --no-audit --no-fund
	@touch $@

system: $(STAMPS)/system
$(STAMPS)/system: Makefile
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "[setup 1/3] installing system packages (a few minutes the first time): $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	else echo "[setup 1/3] system packages: already installed"; fi
	@fc-list | grep -q FandolFang || { \
	  echo "[setup 1/3] fonts: Fandol (仿宋, 宋, 黑, 楷) from Debian's texlive-lang-chinese (a 49 MB download, once)"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); tmp=$$(mktemp -d); \
	  ( cd $$tmp && { apt-get download texlive-lang-chinese >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -qq && apt-get download texlive-lang-chinese >/dev/null; }; } ) && \
	  dpkg-deb --fsys-tarfile $$tmp/texlive-lang-chinese_*.deb | tar -x -C $$tmp --wildcards \
	    './usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/Fandol[FSHK]*.otf' && \
	  $$SUDO mkdir -p $(FONTS_DIR) && $$SUDO cp $$tmp/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/*.otf $(FONTS_DIR)/ && \
	  $$SUDO fc-cache -f $(FONTS_DIR) >/dev/null; status=$$?; rm -rf $$tmp; exit $$status; }
	@mkdir -p $(STAMPS) && touch $@

venv: $(STAMPS)/venv
$(STAMPS)/venv: setup.cfg pyproject.toml constraints.txt
	@echo "[setup 2/3] Python packages into $(VENV) (about a minute the first time)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check --progress-bar off -c constraints.txt -e '.[test]'
	@for p in plugins/*/; do \
	  if [ -f "$$p/setup.cfg" ]; then echo "  plugin $$p"; $(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e "$$p" || exit 1; fi; \
	done
	@mkdir -p $(STAMPS) && touch $@

# Message catalogues: the core's and each plugin's (docs/i18n.md). Compiled at setup;
# `make i18n` re-extracts the wrapped strings after a change and updates the catalogues.
CATALOGS := evalplatform/translations $(wildcard plugins/*/evalplatform_*/translations) \
            $(wildcard docs/examples/*/evalplatform_*/translations)
EXTRACT := --no-wrap --sort-by-file --add-location=file --omit-header -k lazy_gettext

translations: $(STAMPS)/translations
$(STAMPS)/translations: $(STAMPS)/venv $(shell find evalplatform/translations plugins docs/examples -name '*.po' 2>/dev/null)
	@echo "[setup 3/3] compiling the message catalogues"
	@for d in $(CATALOGS); do $(BIN)/pybabel -q compile -d $$d || exit 1; done
	@mkdir -p $(STAMPS) && touch $@

i18n: venv
	@for d in $(CATALOGS); do root=$$(dirname $$d); case $$root in plugins/*|docs/examples/*) root=$$(dirname $$root);; *) root=.;; esac; \
	  $(BIN)/pybabel -q extract $(EXTRACT) -F $$root/babel.cfg -o $$d/messages.pot $$root || exit 1; \
	  if [ -f $$d/en/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel -q update --no-wrap --no-fuzzy-matching --ignore-pot-creation-date -l en -i $$d/messages.pot -d $$d || exit 1; \
	  else $(BIN)/pybabel -q init --no-wrap -l en -i $$d/messages.pot -d $$d || exit 1; fi; \
	done
	@$(MAKE) -s translations

db: venv
	@$(FLASK) db upgrade

# ruff, and the import contracts of setup.cfg (docs/architecture.md#layers)
lint: venv
	$(BIN)/ruff check evalplatform plugins tests conftest.py migrations/env.py docs/examples
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) $(STAMPS) *.egg-info

bench: setup
	$(BIN)/python bench/run.py
