from __future__ import annotations

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "locale"
ENTRY = re.compile(r'^(?:msgctxt "(.*)"\n)?msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.M)


def _entries() -> dict[tuple[str, str], str]:
    """(context, msgid) → msgstr; the context is "" for most entries."""
    text = (LOCALE / "fr/LC_MESSAGES/django.po").read_text()
    join = lambda block: "".join(re.findall(r'"(.*)"', block))  # noqa: E731
    return {(m[1] or "", join(m[2])): join(m[3]) for m in ENTRY.finditer(text) if join(m[2])}


def test_i18n_french_catalogue_is_complete_and_not_fuzzy() -> None:
    text = (LOCALE / "fr/LC_MESSAGES/django.po").read_text()
    assert "#, fuzzy" not in text
    assert [key for key, msgstr in _entries().items() if not msgstr] == []


def test_i18n_compiled_catalogue_matches_the_sources() -> None:
    with (LOCALE / "fr/LC_MESSAGES/django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    missing = [
        (context, msgid)
        for (context, msgid), msgstr in _entries().items()
        if "\\" not in msgid
        and (compiled.pgettext(context, msgid) if context else compiled.gettext(msgid))
        != msgstr.replace('\\"', '"')
    ]
    assert missing == []
