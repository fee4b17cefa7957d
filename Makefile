# geoprospect — every target bootstraps .venv/ when it is missing or older than its inputs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint browser postgis clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	@touch $(STAMP)

## demo: the bundled deposits under the bundled scenarios, then ranked: table, offline map, deal sheets
demo: $(STAMP)
	$(BIN)/geoprospect layers
	$(BIN)/geoprospect validate layers/deposits.geojson --no-warnings
	$(BIN)/geoprospect scenario -o maps/scenarios.xlsx --overwrite
	$(BIN)/geoprospect rank --top 15 -o maps/prospects.xlsx --map maps/prospects.html --offline --overwrite \
	  --sheets maps/sheets --sheets-top 10 --scenarios maps/scenarios.xlsx

## test: lint (ruff + the import-linter layering contract), then the whole suite
## (browser tests need Debian's chromium: `make browser`; database tests PostgreSQL + PostGIS:
## `make postgis`, the tests start and stop a throwaway server of their own)
test: lint browser postgis
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile

## browser: install headless Chromium from Debian when it is missing (needs root or sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

## postgis: install PostgreSQL with PostGIS from Debian when missing (needs root or sudo); the
## package name differs between releases (postgresql-postgis, postgresql-15-postgis-3, ...), so it
## is the one apt-cache finds
postgis:
	@if ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then :; \
	elif ! command -v apt-get >/dev/null; then \
	  echo "no apt-get: install PostgreSQL with PostGIS yourself (the database tests skip without it)"; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  PKG=$$(apt-cache search --names-only '^postgresql-postgis$$' | cut -d' ' -f1); \
	  [ -n "$$PKG" ] || PKG=$$(apt-cache search --names-only '^postgresql-[0-9]+-postgis-3$$' \
	    | cut -d' ' -f1 | sort -V | tail -1); \
	  echo "installing $$PKG"; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$PKG >/dev/null; \
	fi

## bench: measurements (never part of the tests)
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py $(BENCH)

## lint: ruff, and the layering contract (io -> routes -> features -> model -> pipeline -> outputs
## -> batch -> cli; nobody imports cli) checked by import-linter
lint: $(STAMP)
	$(BIN)/ruff check geoprospect tests benchmarks scripts
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build dist .pytest_cache
