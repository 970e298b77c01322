"""Write the German catalogue from the .pot and compile it: ``python -m tools.messages``
(after ``pybabel extract``; ``make messages`` runs both). Fails on an untranslated message."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from .translations_de import GERMAN

ROOT = Path(__file__).resolve().parent.parent / "flask_server_functions" / "translations"
DOMAIN = "flask_server_functions"


def main() -> int:
    with open(ROOT / f"{DOMAIN}.pot", "rb") as f:
        catalog = read_po(f, locale="de")
    missing = [m.id for m in catalog if m.id and m.id not in GERMAN]
    if missing:
        print("untranslated:", *missing, sep="\n  ", file=sys.stderr)
        return 1
    for message in catalog:
        if message.id:
            message.string = GERMAN[message.id]
    catalog.language_team = "de"
    folder = ROOT / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{DOMAIN}.po", "wb") as f:
        write_po(f, catalog, omit_header=False, no_location=True, sort_output=True, width=88)
    with open(folder / f"{DOMAIN}.mo", "wb") as f:
        write_mo(f, catalog)
    print(f"{len(catalog)} messages written to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
