"""Text that reads well aloud and for everyone: plain letters, no shouting, short sentences,
links announced by what they lead to."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules import scan
from charter.rules.base import Example, Finding, Param, ParamKind, Rule, Severity
from charter.rules.terms import find_terms, fold
from charter.snapshot import PostSnapshot, RenditionSnapshot

# --- Fake bold and italic ----------------------------------------------------------------------
# Mathematical alphanumerics (bold, italic, script, fraktur, double-struck, sans-serif and
# monospace letters and digits) and fullwidth Latin letters; the letterlike symbols that fill
# the holes of those alphabets (U+210E PLANCK CONSTANT for italic h…) count inside a run.
_STYLED = r"[\U0001D400-\U0001D7FF\uFF21-\uFF3A\uFF41-\uFF5A]"
_HOLES = (
    "[\u2102\u210a\u210b\u210c\u210d\u210e\u2110\u2111\u2112\u2113\u2115\u2119"
    "\u211a\u211b\u211c\u211d\u2124\u2128\u212c\u212d\u212f\u2130\u2131\u2133\u2134]"
)
_STYLED_WORD = rf"{_HOLES}*+{_STYLED}(?:{_STYLED}|{_HOLES}|\p{{M}})*+"
FAKE_STYLE_RE = regex.compile(rf"{_STYLED_WORD}(?:[\p{{Zs}}\p{{P}}]++{_STYLED_WORD})*+")


def check_fake_bold(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    for match in FAKE_STYLE_RE.finditer(snapshot.text):
        message = gettext(
            "“%(found)s” is written with mathematical symbols that look like bold or italic "
            "letters: screen readers spell them out or skip them, and search cannot find them. "
            "Write “%(plain)s” in ordinary letters."
        ) % {"found": match.group(), "plain": unicodedata.normalize("NFKC", match.group())}
        yield Finding("a11y.fake_bold", severity, message, span=match.span())


# --- Capitals ----------------------------------------------------------------------------------
_WORD = regex.compile(r"\p{L}[\p{L}\p{M}]*+(?:['\u2019\-]\p{L}[\p{L}\p{M}]*+)*+")
_ROMAN = regex.compile(r"[IVXLCDM]+")
_ACRONYMS_TEXT = (
    "ANSSI APL ARS CAF CCAS CDD CDI CHU CNIL CPAM CSE DGFIP DREAL EDF EHPAD FAQ HLM INSEE IUT JO "
    "MDPH ONU PDF PME QR RATP RER RGPD RSA SAMU SMIC SMS SNCF TGV TPE TVA UE URL URSSAF USA"
)
DEFAULT_ACRONYMS = _ACRONYMS_TEXT.split()


def _acronyms(params: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(
        "".join(fold(c) for c in a) for a in params.get("acronyms", ()) if isinstance(a, str)
    )


def _caps_kind(word: str, acronyms: frozenset[str]) -> str:
    """ "caps" (shouted), "neutral" (an acronym, a single capital) or "lower"."""
    letters = [c for c in word if c.isalpha()]
    if not all(c.isupper() for c in letters):
        return "lower"
    if len(letters) < 2 or _ROMAN.fullmatch(word) or "".join(map(fold, word)) in acronyms:
        return "neutral"
    return "caps"


def find_caps_runs(
    text: str, acronyms: frozenset[str], min_words: int
) -> Iterator[tuple[int, int]]:
    run: list[tuple[int, int]] = []  # the shouted words of the current run

    def flush() -> Iterator[tuple[int, int]]:
        if len(run) >= min_words:
            yield run[0][0], run[-1][1]
        run.clear()

    for match in _WORD.finditer(scan.masked(text)):
        kind = _caps_kind(match.group(), acronyms)
        if kind == "caps":
            run.append(match.span())
        elif kind == "lower":
            yield from flush()
    yield from flush()


def check_caps(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    text = snapshot.text
    for start, end in find_caps_runs(text, _acronyms(params), int(params["min_words"])):
        message = gettext(
            "“%(found)s” is in capitals: it reads as shouting, is harder to read, and screen "
            "readers may spell it letter by letter. Write it in lower case (add real acronyms to "
            "the charter's list)."
        ) % {"found": text[start:end]}
        yield Finding("a11y.caps", severity, message, span=(start, end))


# --- Sentence length ---------------------------------------------------------------------------
# A sentence ends at . ! ? … followed by a space or the end, or at a line break (posts often
# use lines for sentences). Abbreviations ("M. Dupont") end one early: a sentence may be missed,
# never reported too long.
_SENTENCE_END = regex.compile(r"[.!?…]+(?=\s|$)|\n")
_COUNTED_WORD = regex.compile(
    r"[\p{L}\p{N}][\p{L}\p{N}\p{M}]*+(?:['\u2019\-.,][\p{L}\p{N}\p{M}]++)*+"
)
EASY_TO_READ_MAX_WORDS = 15


def sentences(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for match in _SENTENCE_END.finditer(text):
        yield start, match.end()
        start = match.end()
    yield start, len(text)


def check_sentence_length(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    limit = int(params["max_words"])
    if params["easy_to_read"]:
        limit = min(limit, EASY_TO_READ_MAX_WORDS)
    masked = scan.masked(snapshot.text)
    for start, end in sentences(masked):
        words = _COUNTED_WORD.findall(masked, start, end)
        if len(words) <= limit:
            continue
        first, last = start, end
        while masked[first].isspace():
            first += 1
        while masked[last - 1].isspace():
            last -= 1
        message = gettext(
            "This sentence has %(count)d words; the charter's limit is %(limit)d. Split it in "
            "two or shorten it."
        ) % {"count": len(words), "limit": limit}
        yield Finding("a11y.sentence_length", severity, message, span=(first, last))


# --- Link wording ------------------------------------------------------------------------------
DEFAULT_VAGUE_PHRASES = [
    "cliquez ici",
    "cliquer ici",
    "clique ici",
    "en cliquant ici",
    "cliquez sur ce lien",
    "cliquez sur le lien",
    "suivez ce lien",
    "lien ici",
    "click here",
]


def check_link_wording(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    phrases = tuple(p for p in params.get("phrases", ()) if isinstance(p, str))
    text = snapshot.text
    for _term, start, end in find_terms(text, phrases):
        message = gettext(
            "“%(found)s” says nothing of where the link leads, and not everyone clicks: say what "
            "the reader will find there (e.g. “Le formulaire d'inscription : https://…”)."
        ) % {"found": text[start:end]}
        yield Finding("a11y.link_wording", severity, message, span=(start, end))


# "Bonjour" and "Nouveau" in MATHEMATICAL BOLD letters.
_BOLD_NOUVEAU = "\U0001d40d\U0001d428\U0001d42e\U0001d42f\U0001d41e\U0001d41a\U0001d42e"


def _snapshot(text: str) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,))


A11Y_FAKE_BOLD = Rule(
    code="a11y.fake_bold",
    title=_("No fake bold or italic letters"),
    rationale=_(
        "Mastodon and Bluesky have no bold or italic, so some tools fake them with "
        "mathematical symbols (𝐁𝐨𝐧𝐣𝐨𝐮𝐫) or fullwidth letters. They are not letters: "  # noqa: RUF001
        "screen readers spell their names or skip them, search and translation miss them. "
        "The finding gives the text in ordinary letters."
    ),
    default_severity=Severity.WARN,
    check=check_fake_bold,
    examples=(
        Example(_("Ordinary letters."), _snapshot("Bonjour à toutes et à tous."), passes=True),
        Example(
            _("Bold made of mathematical symbols."),
            _snapshot(_BOLD_NOUVEAU + " : le guichet unique ouvre lundi."),
            passes=False,
        ),
    ),
)

A11Y_CAPS = Rule(
    code="a11y.caps",
    title=_("No runs of words in capitals"),
    rationale=_(
        "Words in capitals are harder to read (their shape is lost), read as shouting, and "
        "some screen readers spell them letter by letter. A run of words in capitals is "
        "reported; acronyms in the charter's list, single capital letters and Roman numerals "
        "do not count (“la CAF et la CPAM” passes). Links, mentions and hashtags are ignored."
    ),
    default_severity=Severity.WARN,
    check=check_caps,
    params={
        "min_words": Param(
            kind=ParamKind.INTEGER,
            default=2,
            help=_("How many words in capitals make a run (1: report every such word)."),
            minimum=1,
            maximum=20,
        ),
        "acronyms": Param(
            kind=ParamKind.STRINGS,
            default=DEFAULT_ACRONYMS,
            help=_("Acronyms written in capitals on purpose; they do not count."),
        ),
    },
    examples=(
        Example(
            _("Acronyms only."),
            _snapshot("La CAF et la CPAM vous accueillent au guichet unique."),
            passes=True,
        ),
        Example(
            _("A shouted phrase."),
            _snapshot("FERMETURE EXCEPTIONNELLE du guichet lundi."),
            passes=False,
        ),
    ),
)

A11Y_SENTENCE_LENGTH = Rule(
    code="a11y.sentence_length",
    title=_("Short sentences"),
    rationale=_(
        "Long sentences lose readers, people with cognitive disabilities and those reading in "
        "a second language first. The French government's writing guides advise 25 words at "
        "most, and 15 for easy-to-read (FALC) text. Words are counted outside links, mentions "
        "and hashtags; a sentence ends at . ! ? … or at a line break."
    ),
    default_severity=Severity.WARN,
    check=check_sentence_length,
    params={
        "max_words": Param(
            kind=ParamKind.INTEGER,
            default=25,
            help=_("The most words in a sentence."),
            minimum=5,
            maximum=200,
        ),
        "easy_to_read": Param(
            kind=ParamKind.BOOLEAN,
            default=False,
            help=_("Easy-to-read (FALC) mode: at most 15 words, whatever max_words says."),
        ),
    },
    examples=(
        Example(
            _("Two short sentences."),
            _snapshot("Le guichet unique ouvre lundi. Il vous accueille de 9 h à 17 h."),
            passes=True,
        ),
        Example(
            _("One sentence of 30 words."),
            _snapshot(
                "Le guichet unique qui ouvre lundi dans le nouveau centre de services vous "
                "accueille du lundi au vendredi de 9 h à 17 h pour toutes vos démarches "
                "administratives sans rendez-vous."
            ),
            passes=False,
        ),
    ),
)

A11Y_LINK_WORDING = Rule(
    code="a11y.link_wording",
    title=_("Links announced by what they lead to"),
    rationale=_(
        "“Cliquez ici” tells nothing of the destination (screen reader users often list the "
        "links of a page out of context) and assumes a mouse. Say what the reader will find: "
        "“Le formulaire d'inscription : https://…”. Phrases are found whole, whatever their "
        "case and accents."
    ),
    default_severity=Severity.WARN,
    check=check_link_wording,
    params={
        "phrases": Param(
            kind=ParamKind.STRINGS,
            default=DEFAULT_VAGUE_PHRASES,
            help=_("The phrases to report."),
        )
    },
    examples=(
        Example(
            _("The link is announced by its content."),
            _snapshot("Le formulaire d'inscription : https://www.service-public.fr"),
            passes=True,
        ),
        Example(
            _("“Cliquez ici”."),
            _snapshot("Pour vous inscrire, cliquez ici : https://www.service-public.fr"),
            passes=False,
        ),
    ),
)
