"""Collect every on-screen msgid from kiosk/ (.py and .kv) and merge it into the catalogs.

Run after adding or changing a text: `python -m scripts.extract_messages`. Existing translations are
kept; new msgids get an empty msgstr (the test suite fails until the English one is written).
The Indonesian catalog needs no translations: the msgids are Bahasa Indonesia.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIOSK = ROOT / "kiosk"
LOCALE = KIOSK / "locale"
CALLS = {"N_", "_", "format"}
KV_CALL = re.compile(r"""tr\.(?:_|format)\(\s*(["'])((?:\\.|(?!\1).)*)\1""")


def msgids_in_python(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        owner = getattr(getattr(func, "value", None), "id", None)
        if name == "N_" or (name in CALLS and owner == "tr"):
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append(first.value)
    return found


def msgids_in_kv(path: Path) -> list[str]:
    return [
        bytes(m.group(2), "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
        for m in KV_CALL.finditer(path.read_text())
    ]


def collect() -> list[str]:
    ids: list[str] = []
    for path in sorted(KIOSK.rglob("*.py")):
        ids += msgids_in_python(path)
    for path in sorted(KIOSK.rglob("*.kv")):
        ids += msgids_in_kv(path)
    return list(dict.fromkeys(ids))


def read_po(path: Path) -> dict[str, str]:
    """Minimal reader for the catalogs this script writes (one-line msgid/msgstr)."""
    entries, msgid = {}, None
    if not path.exists():
        return entries
    for line in path.read_text().splitlines():
        if line.startswith("msgid "):
            msgid = ast.literal_eval(line[6:])
        elif line.startswith("msgstr ") and msgid is not None:
            if msgid:
                entries[msgid] = ast.literal_eval(line[7:])
            msgid = None
    return entries


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_po(path: Path, language: str, ids: list[str], old: dict[str, str]) -> None:
    lines = [
        f"# Bilik booth texts ({language}). msgids are Bahasa Indonesia.",
        'msgid ""',
        'msgstr ""',
        '"Project-Id-Version: bilik\\n"',
        '"PO-Revision-Date: 2026-11-25 00:00+0700\\n"',
        '"Last-Translator: Bilik developers\\n"',
        '"Language-Team: Bilik developers\\n"',
        '"MIME-Version: 1.0\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Content-Transfer-Encoding: 8bit\\n"',
        f'"Language: {language}\\n"',
        "",
    ]
    for msgid in ids:
        lines += [f"msgid {quote(msgid)}", f"msgstr {quote(old.get(msgid, ''))}", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def main() -> int:
    ids = collect()
    for language in ("id", "en"):
        path = LOCALE / language / "LC_MESSAGES" / "bilik.po"
        write_po(path, language, ids, read_po(path))
    print(f"{len(ids)} msgids")
    return 0


if __name__ == "__main__":
    sys.exit(main())
