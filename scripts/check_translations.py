"""Check that the Tajik and Russian catalogues are complete, valid and compiled.

Run from anywhere: ``uv run python scripts/check_translations.py`` (CI runs it). It fails when

1. a string marked for translation in the code or templates is missing from ``ru`` or ``tg``
   (the strings are extracted again with ``makemessages`` into a temporary copy of the
   catalogues, with the same options as below, so the committed files are not touched);
2. an entry in ``ru`` or ``tg`` is fuzzy or untranslated (a plural entry needs every form);
3. ``msgfmt --check`` rejects a catalogue (placeholders such as ``%(name)s`` differ, bad header);
4. a committed ``django.mo`` does not hold exactly what ``msgfmt`` compiles from its ``.po``
   (the catalogues are compared as parsed by Python's ``gettext``, not byte for byte);
5. a msgid in ``hamkori/core/library_strings.py`` no longer exists in the installed libraries
   (an upgrade of django-allauth, django-axes or Django changed the library's wording).

To fix 1 and 2::

    uv run python manage.py makemessages -l ru -l tg --no-location --no-obsolete \\
        -i ".venv/*" -i "var/*" -i "tests/*" -i "benchmarks/*"
    # translate every new, empty or "#, fuzzy" entry in hamkori/locale/{ru,tg}/LC_MESSAGES/django.po
    # (and remove the "#, fuzzy" line), then:
    uv run python manage.py compilemessages --ignore=.venv

To fix 4, run the compilemessages line. Needs GNU gettext (``apt-get install gettext``).
"""

from __future__ import annotations

import ast
import gettext
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import chdir
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "hamkori" / "locale"
LANGUAGES = ("ru", "tg")
NPLURALS = {"ru": 3, "tg": 2}
IGNORE = [".venv/*", "var/*", "tests/*", "benchmarks/*"]
LIBRARY_STRINGS = ROOT / "hamkori" / "core" / "library_strings.py"
FIX = (
    "uv run python manage.py makemessages -l ru -l tg --no-location --no-obsolete "
    '-i ".venv/*" -i "var/*" -i "tests/*" -i "benchmarks/*"\n'
    "  then translate the entries in hamkori/locale/{ru,tg}/LC_MESSAGES/django.po "
    "(no empty msgstr, no '#, fuzzy'),\n"
    "  then: uv run python manage.py compilemessages --ignore=.venv"
)


# --- A small .po reader ----------------------------------------------------------------------
@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    def label(self) -> str:
        ctxt = f"[{self.msgctxt}] " if self.msgctxt else ""
        return ctxt + repr(self.msgid)


def read_po(path: Path) -> list[Entry]:
    """Entries of a .po file (the header, msgid "", included)."""
    entries: list[Entry] = []
    cur: Entry | None = None
    target: tuple[str, int] | None = None

    def unquote(text: str) -> str:
        value = ast.literal_eval(text)
        if not isinstance(value, str):
            raise ValueError(f"{path}: not a string: {text!r}")
        return value

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue
        elif line.startswith("#"):
            if line.startswith("#,"):
                if cur is None or target is not None:
                    cur, target = Entry(), None
                    entries.append(cur)
                cur.flags |= {f.strip() for f in line[2:].split(",")}
            elif cur is None or target is not None:
                cur, target = Entry(), None
                entries.append(cur)
            continue
        if line.startswith('"'):
            if cur is None or target is None:
                raise ValueError(f"{path}: stray string {line!r}")
            kind, n = target
            if kind == "msgstr":
                cur.msgstr[n] += unquote(line)
            elif kind == "msgid_plural":
                cur.msgid_plural = (cur.msgid_plural or "") + unquote(line)
            else:
                setattr(cur, kind, getattr(cur, kind) + unquote(line))
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in {"msgctxt", "msgid"} and (cur is None or (target is not None and target[0] == "msgstr")):
            cur = Entry()
            entries.append(cur)
        if cur is None:
            raise ValueError(f"{path}: unexpected {line!r}")
        cur.obsolete = cur.obsolete or obsolete
        if keyword == "msgctxt":
            cur.msgctxt, target = unquote(rest), ("msgctxt", 0)
        elif keyword == "msgid":
            cur.msgid, target = unquote(rest), ("msgid", 0)
        elif keyword == "msgid_plural":
            cur.msgid_plural, target = unquote(rest), ("msgid_plural", 0)
        elif keyword == "msgstr":
            cur.msgstr[0], target = unquote(rest), ("msgstr", 0)
        elif keyword.startswith("msgstr["):
            n = int(keyword[7:-1])
            cur.msgstr[n], target = unquote(rest), ("msgstr", n)
        else:
            raise ValueError(f"{path}: cannot read {line!r}")
    return [e for e in entries if e.msgid or e.msgctxt is not None or e.msgstr]


def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.obsolete and not (e.msgid == "" and e.msgctxt is None)]


# --- The checks ----------------------------------------------------------------------------------
def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hamkori.config.settings")
    os.environ.setdefault("HAMKORI_ENV", "development")  # a developer's tool
    import django

    django.setup()


def extract(locale_dir: Path, source_dir: Path, languages: tuple[str, ...], ignore: list[str]) -> str:
    """Run makemessages over ``source_dir`` with ``locale_dir`` as the catalogue folder; return its output."""
    from django.core.management import call_command
    from django.test.utils import override_settings

    out = io.StringIO()
    with chdir(source_dir), override_settings(LOCALE_PATHS=[str(locale_dir)]):
        call_command(
            "makemessages",
            locale=list(languages),
            no_location=True,
            no_obsolete=True,
            ignore_patterns=ignore,
            extensions=["html", "txt", "py"],
            verbosity=1,
            stdout=out,
            stderr=out,
        )
    return out.getvalue()


def copy_project(target: Path) -> None:
    """The project's sources with its catalogues, less what makemessages is told to ignore.

    makemessages writes into every ``locale`` folder it finds under the folder it scans, so it
    runs on this copy: the committed catalogues are never touched."""
    skip_top = {p.split("/")[0] for p in IGNORE}

    def ignore(folder: str, names: list[str]) -> set[str]:
        top = Path(folder).resolve() == ROOT
        return {
            n
            for n in names
            if n.startswith(".") or n == "__pycache__" or n.endswith((".pyc", ".mo")) or (top and n in skip_top)
        }

    shutil.copytree(ROOT, target, ignore=ignore)


def check_missing(tmp: Path, problems: list[str]) -> None:
    project = tmp / "project"
    copy_project(project)
    copy = project / LOCALE.relative_to(ROOT)
    output = extract(copy, project, LANGUAGES, IGNORE)
    for warning in re.findall(r"msgid '(.*?)' is used without plural and with plural", output):
        # Python's gettext answers the singular lookup from the plural entry's first form, so this
        # works; it is only worth knowing when the two uses need different words.
        print(f"note: msgid {warning!r} is used both with and without a plural form (one entry serves both)")
    for lang in LANGUAGES:
        committed = {e.key for e in messages(read_po(LOCALE / lang / "LC_MESSAGES" / "django.po"))}
        extracted = messages(read_po(copy / lang / "LC_MESSAGES" / "django.po"))
        missing = [e for e in extracted if e.key not in committed]
        if missing:
            problems.append(
                f"{lang}: {len(missing)} string(s) in the code or templates are missing from "
                f"hamkori/locale/{lang}/LC_MESSAGES/django.po:\n" + "\n".join(f"    {e.label()}" for e in missing)
            )
        stale = committed - {e.key for e in extracted}
        if stale:
            print(
                f"note: {lang}: {len(stale)} entr(y/ies) no longer used in the code (makemessages will drop them): "
                + ", ".join(repr(m) for _, m in sorted(stale, key=str))
            )


def check_complete(problems: list[str]) -> None:
    for lang in LANGUAGES:
        path = LOCALE / lang / "LC_MESSAGES" / "django.po"
        entries = read_po(path)
        header = next((e for e in entries if e.msgid == "" and e.msgctxt is None), None)
        if header is None or "fuzzy" in header.flags:
            problems.append(f"{lang}: the header of {path.relative_to(ROOT)} is missing or marked fuzzy")
        else:
            match = re.search(r"nplurals=(\d+)", header.msgstr.get(0, ""))
            if not match or int(match.group(1)) != NPLURALS[lang]:
                problems.append(f"{lang}: Plural-Forms must say nplurals={NPLURALS[lang]}")
            if "charset=UTF-8" not in header.msgstr.get(0, ""):
                problems.append(f"{lang}: Content-Type must be text/plain; charset=UTF-8")
        fuzzy, untranslated = [], []
        for e in messages(entries):
            if "fuzzy" in e.flags:
                fuzzy.append(e)
            forms = NPLURALS[lang] if e.msgid_plural is not None else 1
            if any(not e.msgstr.get(i) for i in range(forms)):
                untranslated.append(e)
        if fuzzy:
            problems.append(
                f"{lang}: {len(fuzzy)} fuzzy entr(y/ies) (check the translation, then delete '#, fuzzy'):\n"
                + "\n".join(f"    {e.label()}" for e in fuzzy)
            )
        if untranslated:
            problems.append(
                f"{lang}: {len(untranslated)} untranslated entr(y/ies):\n"
                + "\n".join(f"    {e.label()}" for e in untranslated)
            )


def check_msgfmt_and_mo(tmp: Path, problems: list[str]) -> None:
    for lang in LANGUAGES:
        po = LOCALE / lang / "LC_MESSAGES" / "django.po"
        mo = po.with_suffix(".mo")
        fresh = tmp / f"{lang}.mo"
        result = subprocess.run(  # noqa: S603 - our own files, no shell
            [MSGFMT, "--check", "-o", str(fresh), str(po)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            problems.append(f"{lang}: msgfmt --check rejects {po.relative_to(ROOT)}:\n{result.stderr.rstrip()}")
            continue
        if not mo.exists():
            problems.append(f"{lang}: {mo.relative_to(ROOT)} is missing: run compilemessages and commit it")
            continue
        with mo.open("rb") as committed_fh, fresh.open("rb") as fresh_fh:
            committed = gettext.GNUTranslations(committed_fh)._catalog  # type: ignore[attr-defined]
            expected = gettext.GNUTranslations(fresh_fh)._catalog  # type: ignore[attr-defined]
        if committed != expected:
            differ = sorted(str(k) for k in set(committed) | set(expected) if committed.get(k) != expected.get(k))
            problems.append(
                f"{lang}: {mo.relative_to(ROOT)} is out of date with its .po ({len(differ)} entries differ, e.g. "
                f"{', '.join(differ[:5])}): run uv run python manage.py compilemessages --ignore=.venv"
            )


def library_msgids() -> set[str]:
    """The msgids that library_strings.py lists (singular and plural)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(LIBRARY_STRINGS.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"_", "ngettext"}:
            for arg in node.args[:2] if node.func.id == "ngettext" else node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
    return found


def check_library_strings(tmp: Path, problems: list[str]) -> None:
    import allauth
    import axes
    import django

    src = tmp / "libraries"
    sources = [
        (Path(allauth.__file__).parent, ["account", "mfa", "core", "templates"]),
        (Path(django.__file__).parent, ["forms", "core/validators.py", "contrib/auth/password_validation.py"]),
        (Path(axes.__file__).parent, ["conf.py"]),
    ]
    for base, parts in sources:
        for part in parts:
            origin, target = base / part, src / base.name / part
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("tests", "locale", "static", "*.pyc"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(origin, target)
    locale = tmp / "library-locale"
    extract(locale, src, ("en",), [])
    known: set[str] = set()
    for e in messages(read_po(locale / "en" / "LC_MESSAGES" / "django.po")):
        known.add(e.msgid)
        if e.msgid_plural is not None:
            known.add(e.msgid_plural)
    gone = sorted(library_msgids() - known)
    if gone:
        problems.append(
            f"{len(gone)} msgid(s) in hamkori/core/library_strings.py no longer exist in the installed "
            "libraries (an upgrade changed their wording): update them to the library's new msgid, then "
            "makemessages and translate:\n" + "\n".join(f"    {m!r}" for m in gone)
        )


MSGFMT = shutil.which("msgfmt") or "msgfmt"


def main() -> int:
    if shutil.which("msgfmt") is None or shutil.which("xgettext") is None:
        print("GNU gettext is not installed (apt-get install gettext).", file=sys.stderr)
        return 2
    setup_django()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hamkori-i18n-") as name:
        tmp = Path(name)
        check_missing(tmp, problems)
        check_complete(problems)
        check_msgfmt_and_mo(tmp, problems)
        check_library_strings(tmp, problems)
    counts = ", ".join(
        f"{lang}: {len(messages(read_po(LOCALE / lang / 'LC_MESSAGES' / 'django.po')))} entries" for lang in LANGUAGES
    )
    if problems:
        print(f"Translations: {len(problems)} problem(s) ({counts})\n", file=sys.stderr)
        for problem in problems:
            print(f"- {problem}\n", file=sys.stderr)
        print(f"To fix: {FIX}", file=sys.stderr)
        return 1
    print(f"Translations OK ({counts}): nothing missing, fuzzy or untranslated; .mo files up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
