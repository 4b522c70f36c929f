"""Swedish is complete: every string in the code and templates has a Swedish translation."""

import re
import shutil
import subprocess
import sys

from tests.paths import ROOT_DIR

ROOT = ROOT_DIR
PO = ROOT / "config" / "locale" / "sv" / "LC_MESSAGES" / "django.po"
SOURCES = ["manage.py", "config", "grants", "applications", "reviews", "templates"]


def _entries(text: str) -> dict[str, str]:
    """msgid → msgstr (the singular form for plurals) from a .po file's text."""

    def unquote(block: str) -> str:
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', block)
        return "".join(parts).encode("utf-8").decode("unicode_escape").encode("latin-1").decode()

    entries = {}
    for chunk in text.split("\n\n"):
        if "#, fuzzy" in chunk and 'msgid ""\nmsgstr ""' not in chunk:
            entries[f"FUZZY:{chunk}"] = ""
        match = re.search(
            r'^msgid ((?:".*"\n?)+)(?:msgid_plural (?:".*"\n?)+)?msgstr(?:\[0\])? ((?:".*"\n?)+)',
            chunk,
            re.M,
        )
        if match:
            entries[unquote(match.group(1))] = unquote(match.group(2))
    entries.pop("", None)  # the header
    return entries


def test_every_string_in_the_catalogue_is_translated():
    entries = _entries(PO.read_text(encoding="utf-8"))
    untranslated = sorted(msgid for msgid, msgstr in entries.items() if not msgstr)
    assert untranslated == []


def test_the_catalogue_holds_every_string_of_the_code_and_templates(tmp_path):
    # makemessages on a copy, so the committed catalogue is compared, not rewritten.
    for name in SOURCES:
        source = ROOT / name
        target = tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
        else:
            shutil.copy(source, target)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "sv", "--no-location", "-v", "0"],
        cwd=tmp_path,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings_test"},
    )
    fresh = _entries((tmp_path / PO.relative_to(ROOT)).read_text(encoding="utf-8"))
    committed = _entries(PO.read_text(encoding="utf-8"))
    missing = sorted(set(fresh) - set(committed))
    assert missing == [], "run `manage.py makemessages -l sv` and translate these"
