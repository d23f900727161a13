"""The service definitions under deploy/ start what exists, with settings the project reads."""

import configparser
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(path.read_text())
    return parser


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_every_unit_runs_a_command_of_the_project_with_its_environment(unit):
    parsed = _unit(unit)
    service = parsed["Service"]
    assert service["EnvironmentFile"] == "/etc/parcelwatch/parcelwatch.env"
    assert service["WorkingDirectory"] == "/opt/parcelwatch" and service["User"] == "parcelwatch"
    assert service["StateDirectory"] == "parcelwatch"  # /var/lib/parcelwatch exists before the service starts
    for line in unit.read_text().splitlines():
        if not line.startswith("ExecStart="):
            continue
        argv = line.removeprefix("ExecStart=").split()
        assert argv[0].startswith("/opt/parcelwatch/.venv/bin/"), line
        if "manage.py" in " ".join(argv):
            command = argv[argv.index("src/manage.py") + 1]
            if command == "rqworker":  # django-rq's, installed as an app only with the Redis queue
                importlib.import_module("django_rq.management.commands.rqworker")
            else:
                assert command in get_commands(), f"{unit.name}: no management command {command!r}"
        else:
            assert argv[0].endswith("/gunicorn") and "parcelwatch.wsgi:application" in argv


def test_the_target_wants_only_units_that_exist_and_not_the_scheduler():
    wanted = _unit(DEPLOY / "systemd" / "parcelwatch.target")["Unit"]["Wants"].split()
    names = {u.name for u in UNITS}
    for name in wanted:
        assert re.sub(r"@[^.]+\.", "@.", name) in names, name
    assert "parcelwatch-scheduler.service" not in wanted  # one per deployment, not one per machine


def test_the_environment_example_names_only_settings_the_project_reads():
    # Django's settings, and the web server's (deploy/gunicorn.conf.py reads WEB_CONCURRENCY, WEB_THREADS, …).
    settings_source = (ROOT / "src" / "parcelwatch" / "settings.py").read_text() + (DEPLOY / "gunicorn.conf.py").read_text()
    names = [line.split("=", 1)[0] for line in (DEPLOY / "parcelwatch.env.example").read_text().splitlines()
             if line and not line.startswith("#")]
    runtime = {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "WEB_CONCURRENCY"}  # read by Django itself and gunicorn
    commented = [line.lstrip("#").split("=", 1)[0] for line in (DEPLOY / "parcelwatch.env.example").read_text()
                 .splitlines() if line.startswith("#") and "=" in line and " " not in line.split("=", 1)[0]]
    for name in names + commented:
        assert name in runtime or f'"{name}"' in settings_source, name


def test_the_gunicorn_configuration_loads_the_application(tmp_path):
    env = {"PYTHONPATH": str(ROOT / "src"), "DJANGO_SETTINGS_MODULE": "parcelwatch.settings",
           "PW_VAR_DIR": str(tmp_path), "WEB_CONCURRENCY": "3", "PATH": "/usr/bin:/bin"}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run([str(gunicorn), "--check-config", "--print-config", "-c", str(DEPLOY / "gunicorn.conf.py"),
                             "parcelwatch.wsgi:application"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^workers\s+= 3$", result.stdout, re.M)


def _database_options(tmp_path, **env) -> str:
    """The default database's OPTIONS as the settings compute them from this environment (in a fresh process)."""
    import os

    code = ("import django, json; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {}), sort_keys=True, "
            "default=lambda o: o.__module__ + '.' + o.__qualname__))")  # a class by its name
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT, env={
        **os.environ, "DJANGO_SETTINGS_MODULE": "parcelwatch.settings", "PYTHONPATH": str(ROOT / "src"),
        "PW_VAR_DIR": str(tmp_path), "DATABASE_PREPARED_STATEMENTS": "", **env})
    assert run.returncode == 0 or "ImproperlyConfigured" in run.stderr, run.stderr
    return run.stdout.strip() if run.returncode == 0 else run.stderr


def test_postgresql_prepares_the_hot_paths_statements_unless_told_not_to(tmp_path):
    pg = {"DATABASE_URL": "postgres://parcelwatch:secret@db.internal:5432/parcelwatch"}
    assert _database_options(tmp_path, **pg) == ('{"cursor_factory": "parcelwatch.lib.pgcursor.HotPathCursor", '
                                                 '"prepare_threshold": 5, "server_side_binding": true}')
    assert _database_options(tmp_path, **pg, DATABASE_PREPARED_STATEMENTS="false") == "{}"
    assert "DATABASE_PREPARED_STATEMENTS must be true or false" in _database_options(
        tmp_path, **pg, DATABASE_PREPARED_STATEMENTS="sometimes")
    # Not for SQLite, which has no such option.
    sqlite = {"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "DATABASE_PREPARED_STATEMENTS": "true"}
    assert _database_options(tmp_path, **sqlite) == "{}"
