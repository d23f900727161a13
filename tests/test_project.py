"""Project-wide checks: migrations match the models, and Django's system checks pass."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail("Model changes without migrations:\n" + out.getvalue())


def test_system_checks_pass():
    call_command("check", "--fail-level", "WARNING")
