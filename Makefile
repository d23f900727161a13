# ParcelWatch — two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
export PYTHONPATH := $(CURDIR)/src
export DJANGO_SETTINGS_MODULE := parcelwatch.settings

.PHONY: run test install system-packages bench messages

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

system-packages:
	@bash scripts/system-packages.sh

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
