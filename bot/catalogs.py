"""Message catalogs: extract the English message ids from the code, merge them into the
German, Spanish and Russian catalogs, and check that the catalogs and the code agree.

    python -m bot.catalogs update   # re-extract bot/locales/messages.pot and merge it into each .po
    python -m bot.catalogs check    # list what is missing, stale, mismatched or untranslated

Messages are found by Babel's Python extractor in calls through a `Translator`
(`tr._("...")`, `self.tr.n_("{n} day", "{n} days", n)`, `tr.p_("button", "Done")`) and in
`N_("...")` markers; a `# TRANSLATORS:` comment just above a call goes to the translators.
The catalogs are written sorted and without line numbers, so moving code does not touch
them. Nothing is compiled: bot/i18n.py reads the .po files and compiles them in memory.
"""

from __future__ import annotations

import argparse
import ast
import io
import string
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords
from babel.messages.pofile import read_po, write_po

from bot import i18n

__all__ = [
    "KEYWORDS",
    "PLURAL_FORMS",
    "TRANSLATED",
    "check",
    "code_problems",
    "completeness_problems",
    "extract",
    "main",
    "placeholder_problems",
    "placeholders",
    "sync_problems",
    "update",
]

SOURCE_DIR = Path(__file__).resolve().parent
PROJECT = "Stretch Coach"
# The gettext keyword specs, as pybabel's -k takes them: message ids of `_` and `N_`, singular
# and plural of `n_`, context and message of `p_`.
KEYWORD_SPECS = ("_", "n_:1,2", "p_:1c,2", "N_")
KEYWORDS = parse_keywords(list(KEYWORD_SPECS))
COMMENT_TAG = "TRANSLATORS:"
# The catalogs kept besides the English in the code.
TRANSLATED: tuple[str, ...] = tuple(locale for locale in i18n.SUPPORTED if locale != i18n.DEFAULT_LOCALE)
# GNU gettext's plural rules (what translators and their tools expect). Babel would take
# CLDR's for Spanish, which adds a third form for round millions that no sentence here needs.
PLURAL_FORMS = {
    "de": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : "
    "n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
}
_WIDTH = 100
_DATE_HEADERS = (b'"POT-Creation-Date:', b'"PO-Revision-Date:')
_CALLS = {"_": 0, "N_": 0, "n_": 0, "p_": 1}  # keyword -> index of the (first) message id


def _locales_dir() -> Path:
    return i18n.LOCALES_DIR  # read at call time, so tests can point it elsewhere


def template_path() -> Path:
    return _locales_dir() / f"{i18n.DOMAIN}.pot"


def po_path(locale: str) -> Path:
    return _locales_dir() / locale / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def _key(message: Message) -> tuple[str, str | None]:
    msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return msgid, message.context


# ----------------------------------------------------------------------------- extract


def extract(source_dir: Path | None = None) -> Catalog:
    """The template: every message the code under `source_dir` (default bot/) uses."""
    root = source_dir or SOURCE_DIR
    prefix = root.name
    catalog = Catalog(project=PROJECT, version=_version(), charset="utf-8", fuzzy=False, header_comment=(
        f"# Messages of {PROJECT}, extracted from the code (English message ids).\n"
        "# Do not edit by hand: `python -m bot.catalogs update` rewrites it."
    ))  # fmt: skip
    found = extract_from_dir(
        root,
        method_map=[("**.py", "python")],
        options_map={"**.py": {}},
        keywords=KEYWORDS,
        comment_tags=(COMMENT_TAG,),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        path = f"{prefix}/{Path(filename).as_posix()}"
        flags = ("python-brace-format",) if any(placeholders(m) for m in _ids(message)) else ()
        catalog.add(message, None, [(path, lineno)], auto_comments=comments, flags=flags, context=context)
    return catalog


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("stretch-coach")
    except PackageNotFoundError:
        return "dev"


def _ids(message: str | Sequence[str]) -> tuple[str, ...]:
    return (message,) if isinstance(message, str) else tuple(message)


# ------------------------------------------------------------------------------ update


def _render(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=_WIDTH, sort_output=True, include_lineno=False)
    return buffer.getvalue()


def _write_if_changed(path: Path, catalog: Catalog) -> bool:
    """Write unless only the dates in the header would change; True if written."""
    data = _render(catalog)
    if path.exists():
        old = path.read_bytes()

        def undated(blob: bytes) -> list[bytes]:
            return [line for line in blob.splitlines() if not line.startswith(_DATE_HEADERS)]

        if undated(old) == undated(data):
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=i18n.DOMAIN)


def _new_catalog(locale: str) -> Catalog:
    from babel import Locale

    name = Locale.parse(locale).get_display_name("en")
    header = (
        f"# {name} messages of {PROJECT}.\n"
        "# `python -m bot.catalogs update` merges new messages in; translate them here."
    )
    return Catalog(
        locale=locale,
        domain=i18n.DOMAIN,
        project=PROJECT,
        version=_version(),
        charset="utf-8",
        fuzzy=False,
        language_team=f"{name} <>",
        header_comment=header,
    )


def _set_plural_forms(catalog: Catalog, locale: str) -> None:
    headers = [(k, v) for k, v in catalog.mime_headers if k.lower() != "plural-forms"]
    catalog.mime_headers = [*headers, ("Plural-Forms", PLURAL_FORMS[locale])]


def update(source_dir: Path | None = None) -> list[Path]:
    """Re-extract the template and merge it into each language's catalog; the files written.

    Translations are kept; a message whose id changed a little gets the old translation
    marked fuzzy (to review); messages the code no longer uses become obsolete (`#~`,
    kept for reference, never shown). Files whose content would not change are left alone.
    """
    template = extract(source_dir)
    written = []
    if _write_if_changed(template_path(), template):
        written.append(template_path())
    for locale in TRANSLATED:
        path = po_path(locale)
        catalog = _read(path, locale) if path.exists() else _new_catalog(locale)
        _set_plural_forms(catalog, locale)
        catalog.update(template, update_header_comment=False)
        # Obsolete entries stay for reference; only their latest translation matters.
        if _write_if_changed(path, catalog):
            written.append(path)
    return written


# ------------------------------------------------------------------------------- check


def placeholders(text: str) -> set[str]:
    """The `{field}` names in a message; raises ValueError for a malformed one."""
    names = set()
    for _, field, _, _ in string.Formatter().parse(text):
        if field is not None:
            names.add(field)
    return names


def _call_keyword(node: ast.Call) -> str | None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    return name if name in _CALLS else None


def code_problems(source_dir: Path | None = None) -> list[str]:
    """Translation calls the extractor cannot see or the Translator cannot fill.

    A message id must be a plain string: an f-string, `+`, `%` or `.format()` inside the call
    is never extracted (and glues a sentence together). Variables are fine: they carry ids
    marked with `N_` where they are defined. Placeholders must be named (`{days}`, not `{}`).
    """
    root = source_dir or SOURCE_DIR
    problems = []
    for path in sorted(root.rglob("*.py")):
        # Like Babel's extractor: directories starting with "." or "_" are skipped.
        if any(part.startswith((".", "_")) for part in path.relative_to(root).parts[:-1]):
            continue
        rel = f"{root.name}/{path.relative_to(root).as_posix()}"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or (keyword := _call_keyword(node)) is None:
                continue
            first = _CALLS[keyword]
            ids = node.args[first : first + (2 if keyword == "n_" else 1)]
            for arg in ids:
                where = f"{rel}:{node.lineno}: {keyword}()"
                formatted = (
                    isinstance(arg, ast.Call)
                    and isinstance(arg.func, ast.Attribute)
                    and arg.func.attr == "format"
                )
                if isinstance(arg, ast.JoinedStr | ast.BinOp) or formatted:
                    problems.append(f"{where} takes a plain string message id, not a built one "
                                    "(pass values as named placeholders)")  # fmt: skip
                elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    try:
                        fields = placeholders(arg.value)
                    except ValueError as error:
                        problems.append(f"{where}: malformed placeholder in {arg.value!r}: {error}")
                        continue
                    if any(not field.isidentifier() for field in fields):
                        problems.append(f"{where}: placeholders must be named, like {{days}}: {arg.value!r}")
    return problems


def _catalogs() -> Iterable[tuple[str, Path, Catalog | None]]:
    for locale in TRANSLATED:
        path = po_path(locale)
        yield locale, path, _read(path, locale) if path.exists() else None


def _where(path: Path) -> str:
    try:
        return path.relative_to(SOURCE_DIR.parent).as_posix()
    except ValueError:
        return str(path)


def _describe(key: tuple[str, str | None]) -> str:
    msgid, context = key
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


def sync_problems(template: Catalog | None = None) -> list[str]:
    """Messages the code uses that a catalog lacks, and ones it has that the code does not.

    Also a template out of date, a missing catalog, a plural/singular mismatch and plural
    rules other than PLURAL_FORMS.
    """
    template = template if template is not None else extract()
    wanted = {_key(m): m for m in template if m.id}
    fix = "run `python -m bot.catalogs update`"
    problems = []
    pot = template_path()
    if not pot.exists():
        problems.append(f"{_where(pot)} is missing: {fix}")
    else:
        have = {_key(m) for m in _read(pot) if m.id}
        if have != set(wanted):
            problems.append(f"{_where(pot)} is out of date ({len(set(wanted) - have)} new, "
                            f"{len(have - set(wanted))} gone): {fix}")  # fmt: skip
    for locale, path, catalog in _catalogs():
        where = _where(path)
        if catalog is None:
            problems.append(f"{where} is missing: {fix}")
            continue
        header = dict(catalog.mime_headers).get("Plural-Forms", "")
        if header.replace(" ", "") != PLURAL_FORMS[locale].replace(" ", ""):
            problems.append(f"{where}: Plural-Forms is {header!r}, expected {PLURAL_FORMS[locale]!r}")
        existing = {_key(m): m for m in catalog if m.id}
        for key in sorted(set(wanted) - set(existing), key=str):
            problems.append(f"{where}: missing {_describe(key)} ({fix})")
        for key in sorted(set(existing) - set(wanted), key=str):
            problems.append(f"{where}: stale {_describe(key)}, no longer in the code ({fix})")
        for key in sorted(set(existing) & set(wanted), key=str):
            if existing[key].pluralizable != wanted[key].pluralizable or existing[key].id != wanted[key].id:
                problems.append(f"{where}: {_describe(key)} differs from the code's (plural?): {fix}")
    return problems


def _form_problem(msgid_fields: set[str], text: str, plural: bool) -> str | None:
    try:
        fields = placeholders(text)
    except ValueError as error:
        return f"malformed placeholder ({error})"
    # `{n}` is always given to a plural, and a form may leave it out ("Ein Tag") or use it
    # where the English singular does not (Russian "21 день" shares the form of 1).
    if plural:
        fields, msgid_fields = fields - {"n"}, msgid_fields - {"n"}
    if fields != msgid_fields:
        missing, extra = sorted(msgid_fields - fields), sorted(fields - msgid_fields)
        parts = ([f"lacks {{{', '.join(missing)}}}"] if missing else []) + (
            [f"has unknown {{{', '.join(extra)}}}"] if extra else []
        )
        return " and ".join(parts)
    return None


def placeholder_problems() -> list[str]:
    """Translations whose `{placeholders}` differ from the message id's (each plural form too).

    A missing one drops a value from the sentence; an unknown one fails at run time.
    """
    problems = []
    for _, path, catalog in _catalogs():
        if catalog is None:
            continue
        for message in catalog:
            if not message.id:
                continue
            ids = _ids(message.id)
            try:
                msgid_fields = set().union(*(placeholders(i) for i in ids))
            except ValueError as error:
                where = f"{_where(path)}: {_describe(_key(message))}"
                problems.append(f"{where}: malformed placeholder ({error})")
                continue
            strings = _ids(message.string) if message.string else ()
            for index, text in enumerate(strings):
                if not text:
                    continue
                problem = _form_problem(msgid_fields, text, plural=message.pluralizable)
                if problem:
                    form = f" form {index}" if message.pluralizable else ""
                    problems.append(f"{_where(path)}: {_describe(_key(message))}{form}: {problem}: {text!r}")
    return problems


def completeness_problems() -> list[str]:
    """Messages with no translation (or an empty plural form), and fuzzy drafts (not shown)."""
    problems = []
    for _, path, catalog in _catalogs():
        if catalog is None:
            continue
        for message in catalog:
            if not message.id:
                continue
            where = f"{_where(path)}: {_describe(_key(message))}"
            if message.fuzzy:
                problems.append(f"{where} is fuzzy (a draft to review; English is shown meanwhile)")
            elif not all(_ids(message.string or "")):
                problems.append(f"{where} is not translated")
    return problems


def translated_count() -> int:
    """How many messages have a translation in any catalog (not fuzzy, not empty)."""
    return sum(
        1
        for _, _, catalog in _catalogs()
        if catalog is not None
        for message in catalog
        if message.id and not message.fuzzy and message.string and all(_ids(message.string))
    )


def check(*, complete: bool = True) -> list[str]:
    """Everything wrong with the catalogs and the calls that feed them; [] when all is well.

    With `complete=False`, untranslated and fuzzy messages are not counted.
    """
    template = extract()
    problems = code_problems() + sync_problems(template) + placeholder_problems()
    if complete:
        problems += completeness_problems()
    return problems


# -------------------------------------------------------------------------------- main


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot catalogs", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("extract", help="rewrite bot/locales/messages.pot from the code")
    commands.add_parser("update", help="extract, then merge the template into each language's .po")
    check_parser = commands.add_parser("check", help="list problems; exit 1 if there are any")
    check_parser.add_argument("--allow-untranslated", action="store_true",
                              help="do not count untranslated and fuzzy messages")  # fmt: skip
    args = parser.parse_args(list(argv))
    if args.command == "extract":
        template = extract()
        changed = _write_if_changed(template_path(), template)
        count = sum(1 for m in template if m.id)
        print(f"{_where(template_path())}: {count} messages{'' if changed else ' (unchanged)'}")
        return 0
    if args.command == "update":
        written = update()
        for path in written:
            print(f"wrote {_where(path)}")
        if not written:
            print("catalogs up to date")
        return 0
    problems = check(complete=not args.allow_untranslated)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)" if problems else "catalogs OK", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
