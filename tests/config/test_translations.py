"""Swedish is complete: every string in the code and templates has a Swedish translation."""

import ast
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


# -- strings xgettext cannot see, and strings never sent to the catalogue ------------------------

GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext"}
APP_SOURCES = ["config", "grants", "applications", "reviews"]


def _python_modules():
    for name in APP_SOURCES:
        for path in sorted((ROOT / name).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _called_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _literal_msgids(call: ast.Call) -> list[str]:
    name = _called_name(call)
    args = call.args[1:] if name.startswith("pgettext") else call.args
    # The singular is the catalogue's key (ngettext's plural is its msgid_plural).
    return [
        arg.value
        for arg in args[:1]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    ]


def test_every_gettext_call_in_python_is_in_the_catalogue():
    # xgettext does not look inside f-string replacement fields (f'{_("tied")}'), so the
    # makemessages comparison above misses those; the syntax tree sees every call.
    committed = _entries(PO.read_text(encoding="utf-8"))
    missing = []
    for path in _python_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _called_name(node) in GETTEXT_NAMES:
                for msgid in _literal_msgids(node):
                    if not committed.get(msgid):
                        missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {msgid!r}")
    assert missing == [], "translate these in config/locale/sv/LC_MESSAGES/django.po"


# Calls whose text argument reaches the person: a message, a form error, a validation error.
USER_TEXT_CALLS = {
    "success": 1,
    "error": 1,
    "info": 1,
    "warning": 1,
    "add_message": 2,
    "ValidationError": 0,
    "add_error": 1,
}


MESSAGE_LEVELS = {"success", "error", "info", "warning", "add_message"}


def _is_messages_call(node: ast.Call) -> bool:
    func = node.func
    return isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "messages"


def _built_outside_the_catalogue(node: ast.expr) -> bool:
    """A plain string, an f-string or a concatenation/format of them: text no catalogue holds."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value.strip())
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _built_outside_the_catalogue(node.left) or _built_outside_the_catalogue(node.right)
    if isinstance(node, ast.Dict):  # ValidationError({"field": "text"})
        return any(_built_outside_the_catalogue(value) for value in node.values)
    if isinstance(node, ast.List | ast.Tuple):  # ValidationError(["text", ...])
        return any(_built_outside_the_catalogue(item) for item in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _built_outside_the_catalogue(node.func.value)
    return False


def _texts_built_outside_the_catalogue(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        position = USER_TEXT_CALLS.get(name)
        if name in MESSAGE_LEVELS and not _is_messages_call(node):
            continue  # a function of our own that happens to be called error()
        if position is None or len(node.args) <= position:
            continue
        if _built_outside_the_catalogue(node.args[position]):
            lines.append(node.lineno)
    return lines


def test_the_scan_finds_texts_built_outside_the_catalogue():
    source = """
messages.success(request, "Sparat")
messages.error(request, f"{count} fel")
form.add_error("title", "Obligatoriskt")
raise ValidationError("Too big: " + str(n))
messages.info(request, _("Translated"))
error(_("ours"), "field_name")
raise ValidationError({"title": "För lång", "amount": _("Too big")})
raise ValidationError([_("One"), "Two"])
raise ValidationError({"title": [_("Too long")]})
"""
    assert _texts_built_outside_the_catalogue(ast.parse(source)) == [2, 3, 4, 5, 8, 9]


def test_no_message_to_a_person_is_built_outside_the_catalogue():
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _python_modules()
        for line in _texts_built_outside_the_catalogue(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "wrap these texts in gettext (and translate them)"


# -- text for display put anywhere else: field labels, choices, page context, answers ------------

# Keyword arguments that are only ever shown to a person.
DISPLAY_KEYWORDS = {
    "label",
    "help_text",
    "verbose_name",
    "verbose_name_plural",
    "empty_label",
    "placeholder",
}
# Calls with a context (or data) for a page or an answer: the argument's position.
CONTEXT_CALLS = {"render": 2, "render_to_string": 1, "TemplateResponse": 2, "JsonResponse": 0}
CONTEXT_KEYWORDS = {"context", "data"}
PLAIN_TEXT_ANSWERS = {"HttpResponseBadRequest", "HttpResponseForbidden", "HttpResponseNotFound"}
# Words a person reads: a capital followed by small letters, or two words. A single lowercase
# word ("fits", "csv", "overview") is a code the template compares, not text; a template's name
# is no text either.
_PROSE = re.compile(r"^[A-ZÅÄÖ][a-zåäö]|[A-Za-zÅÄÖåäö]{2,}[ ,.:;!?]+[A-Za-zÅÄÖåäö]")
# In an f-string, a word beside a space is text around the values ("{n} kvar"), where a code
# has none ("tag--{status}").
_WORD_BESIDE_A_SPACE = re.compile(r"(^|\s)[A-Za-zÅÄÖåäö]{2,}(\s|$)")
# Choices whose labels are deliberately not translated: each language in its own name.
UNTRANSLATED_CHOICES = {"Language"}


def _is_prose(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str):
            return False
        text = node.value.strip()
        return bool(text) and not text.endswith((".html", ".txt")) and bool(_PROSE.search(text))
    if isinstance(node, ast.JoinedStr):
        return any(
            " " in part.value and _WORD_BESIDE_A_SPACE.search(part.value)
            for part in node.values
            if isinstance(part, ast.Constant)
        )
    if isinstance(node, ast.List | ast.Tuple):
        return any(_is_prose(item) for item in node.elts)
    if isinstance(node, ast.BinOp):
        return _is_prose(node.left) or _is_prose(node.right)
    return False


def _context_of(node: ast.Call) -> ast.expr | None:
    position = CONTEXT_CALLS.get(_called_name(node))
    if position is None:
        return None
    for keyword in node.keywords:
        if keyword.arg in CONTEXT_KEYWORDS:
            return keyword.value
    return node.args[position] if len(node.args) > position else None


def _display_texts_outside_the_catalogue(tree: ast.AST) -> list[int]:
    """Lines where text for display is a literal: a label or help text, a choice's label, a
    value of a page's context (a dict literal, or ``context["key"] = ...``), a JSON answer's
    value, or a plain-text error answer."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in DISPLAY_KEYWORDS and _built_outside_the_catalogue(keyword.value):
                    lines.add(keyword.value.lineno)
            context = _context_of(node)
            if isinstance(context, ast.Dict):
                lines.update(value.lineno for value in context.values if _is_prose(value))
            if _called_name(node) in PLAIN_TEXT_ANSWERS and node.args and _is_prose(node.args[0]):
                lines.add(node.lineno)
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Subscript)
            and getattr(node.targets[0].value, "id", "") in {"context", "ctx"}
            and _is_prose(node.value)
        ):
            lines.add(node.lineno)
        elif isinstance(node, ast.ClassDef) and node.name not in UNTRANSLATED_CHOICES:
            bases = {getattr(base, "attr", getattr(base, "id", "")) for base in node.bases}
            if not any(base.endswith("Choices") for base in bases):
                continue
            for item in node.body:
                if (
                    isinstance(item, ast.Assign)
                    and isinstance(item.value, ast.Tuple)
                    and len(item.value.elts) >= 2
                    and _built_outside_the_catalogue(item.value.elts[-1])
                ):
                    lines.add(item.lineno)
    return sorted(lines)


def test_the_scan_finds_display_texts_outside_the_catalogue():
    source = """
title = forms.CharField(label="Titel")
summary = forms.CharField(label=_("Summary"), help_text="Some help")
return render(request, "page.html", {"heading": "Mina ansökningar", "tab": "overview"})
return render(request, "page.html", {"heading": _("Mine"), "status": f"{n} kvar"})
context["notice"] = "Nothing here"
context["tab"] = "overview"
return JsonResponse({"errors": ["Could not save."], "saved_at": "12:00"})
return HttpResponseBadRequest("There is no such call.", content_type="text/plain")
class Colour(models.TextChoices):
    RED = "red", "Red"
    BLUE = "blue", _("Blue")
class Language(models.TextChoices):
    SWEDISH = "sv", "Svenska"
"""
    assert _display_texts_outside_the_catalogue(ast.parse(source)) == [2, 3, 4, 5, 6, 8, 9, 11]


def test_no_text_for_display_is_a_literal_outside_the_catalogue():
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _python_modules()
        for line in _display_texts_outside_the_catalogue(
            ast.parse(path.read_text(encoding="utf-8"))
        )
    ]
    assert found == [], "wrap these texts in gettext (and translate them)"
