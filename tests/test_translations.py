"""The Chinese catalogue is complete and its compiled form is current."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "src" / "parcelwatch" / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_is_translated():
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []


def test_compiled_catalogue_matches_the_source():
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo if not e.msgid_plural}
    source = {(e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries() if not e.msgid_plural}
    assert compiled == source, "run `make messages` to recompile django.mo"


# Our catalogue is read before Django's: a msgid we share with Django (its admin, its forms) changes Django's wording
# too. These differ on purpose (the product's vocabulary); any other difference is an accident, like "Add" once
# turning the admin's 增加 buttons into 提交.
DELIBERATE_OVERRIDES = {
    "Administration", "Today", "This year", "Django site admin", "Django administration", "Log out", "History",
    "Filter", "Clear all filters", "Change my password", "sites", "Disabled", "active", "site", "Sites",
    "Description", "Method", "Text", ":", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
    "Sunday",
}


def test_our_catalogue_changes_djangos_own_wording_only_on_purpose():
    import glob
    import os

    import django

    ours = {(e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(LOCALE / "django.po")) if not e.msgid_plural}
    base = os.path.dirname(django.__file__)
    accidental = set()
    for path in glob.glob(base + "/**/locale/zh_Hans/LC_MESSAGES/django.po", recursive=True):
        for entry in polib.pofile(path):
            mine = ours.get((entry.msgctxt, entry.msgid))
            if mine and entry.msgstr and mine != entry.msgstr and entry.msgid not in DELIBERATE_OVERRIDES:
                accidental.add(f"{entry.msgid!r}: Django {entry.msgstr}, ours {mine}")
    assert accidental == set()
