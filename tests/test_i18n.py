from __future__ import annotations

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "locale"
ENTRY = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.M)


def _entries() -> dict[str, str]:
    text = (LOCALE / "fr/LC_MESSAGES/django.po").read_text()
    join = lambda block: "".join(re.findall(r'"(.*)"', block))  # noqa: E731
    return {join(m[1]): join(m[2]) for m in ENTRY.finditer(text) if join(m[1])}


def test_i18n_french_catalogue_is_complete_and_not_fuzzy() -> None:
    text = (LOCALE / "fr/LC_MESSAGES/django.po").read_text()
    assert "#, fuzzy" not in text
    assert [msgid for msgid, msgstr in _entries().items() if not msgstr] == []


def test_i18n_compiled_catalogue_matches_the_sources() -> None:
    with (LOCALE / "fr/LC_MESSAGES/django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    missing = [
        msgid
        for msgid, msgstr in _entries().items()
        if "\\" not in msgid and compiled.gettext(msgid) != msgstr.replace('\\"', '"')
    ]
    assert missing == []
