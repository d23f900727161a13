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
