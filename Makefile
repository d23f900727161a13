# ParcelWatch — two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The virtualenv's interpreter: Debian's python3.11 where there is one. It is built with profile-guided and
# link-time optimisation, and runs the app faster than a plain build from source (docs/benchmarks.md, "Event intake
# under load"). Elsewhere, the python3 on the PATH. An existing .venv is kept: delete it to change interpreter.
PYTHON ?= $(shell test -x /usr/bin/python3.11 && echo /usr/bin/python3.11 || echo python3)
PORT ?= 8000
HOST ?= 127.0.0.1
export PYTHONPATH := $(CURDIR)/src
export DJANGO_SETTINGS_MODULE := parcelwatch.settings

.PHONY: run test install system-packages bench messages

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

system-packages:
	@PYTHON=$(PYTHON) bash scripts/system-packages.sh

install: system-packages $(VENV)/.installed node_modules/.installed

run: install
	$(PY) src/manage.py migrate --noinput
	$(PY) src/manage.py collectstatic --noinput -v0
	$(PY) src/manage.py loaddemo --if-empty
	@HOST=$(HOST) PORT=$(PORT) bash scripts/serve.sh

test: install
	$(VENV)/bin/ruff check src tests bench scripts
	$(PY) src/manage.py collectstatic --noinput -v0
	$(PY) -m pytest $(PYTEST_ARGS)


bench: install
	$(PY) bench/pages.py

# Refresh the translation catalogue after changing UI text (needs GNU gettext), then fill in
# the new msgstr entries in src/parcelwatch/locale/zh_Hans/LC_MESSAGES/django.po and run it again.
messages: install
	cd src/parcelwatch && ../../$(PY) ../manage.py makemessages -l zh_Hans --no-location --no-obsolete
	cd src/parcelwatch && ../../$(PY) ../manage.py compilemessages -l zh_Hans
