# One target per thing a person does. Every target sets up what it needs first.
VENV      := .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
CATALOGS  := $(patsubst %.po,%.mo,$(wildcard kiosk/locale/*/LC_MESSAGES/*.po))

.PHONY: install run test bench screenshots lint format catalogs clean

install: $(STAMP) $(CATALOGS)

$(STAMP): pyproject.toml scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[kiosk,hub,dev]'
	touch $@

kiosk/locale/%.mo: kiosk/locale/%.po
	msgfmt --check -o $@ $<

catalogs: $(CATALOGS)

## Hub with demo data + one booth window (or Xvfb + screenshots when there is no display)
run: install
	$(PY) -m scripts.demo

## Lint and type-check, then every test (real hub, real Kivy app under Xvfb, PulseAudio null sink)
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

## Speed targets from DESIGN.md
bench: install
	$(PY) -m bench.qr_decode
	$(PY) -m bench.checkin_latency
	$(PY) -m bench.dispatch
	$(PY) -m bench.call
	$(PY) -m bench.central

## Screenshots of every booth screen for the README (real app under Xvfb)
screenshots: install
	$(PY) -m scripts.screenshots docs/screenshots

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache
	find . -name '*.mo' -delete
