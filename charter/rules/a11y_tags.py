"""Hashtags and emoji as a screen reader announces them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules import scan
from charter.rules.base import Example, Finding, Param, ParamKind, Rule, Severity
from charter.rules.terms import fold, fold_text
from charter.snapshot import PostSnapshot, RenditionSnapshot

# Words frequent in institutional hashtags, folded (no accents, lower case). A lower-case
# hashtag is reported only when it splits entirely into these words, two of them at least
# content words: a hashtag that is one word, or that we cannot split, is left alone.
_FUNCTION_WORDS_TEXT = (
    "de du des la le les l d et en au aux pour sur avec sans un une ma mon mes ta ton nos vos "
    "votre notre je tu il nous vous on a the of for and to in"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
_LEXICON_TEXT = """
service services public publique publics publiques france francais francaise europe europeen
europeenne emploi travail sante securite routiere education nationale national ecole jeunes
jeunesse culture sport sports environnement climat transition ecologique energie numerique
cyber innovation recherche science sciences universite etudiants etudiant logement
solidarite handicap inclusion egalite femmes hommes droits justice police gendarmerie pompiers
armee defense douane impots impot budget economie entreprise entreprises agriculture
alimentation eau mer foret nature biodiversite transport transports mobilite vote elections
election citoyen citoyens citoyennete mairie ville region departement prefecture prefet
gouvernement ministere assemblee senat republique patrimoine journees journee mondiale
internationale semaine mois jour annee nouvelle nouveau plan projet loi reforme aide aides
prime allocation retraite retraites famille familles enfance enfants seniors social sociale
vaccination prevention canicule alerte meteo risques crue inondation incendie feux secours
urgence guichet unique demarche demarches ligne accueil info infos actu direct jeux
olympiques paralympiques paris lyon marseille coupe monde fete musique nuit musees musee
lecture livre cinema festival concours forum salon rencontre rencontres debat consultation
participation participatif orientation formation apprentissage alternance stage metiers
metier recrutement recrute carriere fonction territoire territoires rural ruralite quartiers
politique proximite renovation energetique habitat logements abri numero vert open data
tech day week news health safety digital intelligence artificielle donnees ouvertes
protection vie privee harcelement violences contre stop tous toutes ensemble merci bravo
bonne noel ete hiver printemps automne rentree scolaire vacances mentale don sang organes
dons
"""
LEXICON = frozenset(_LEXICON_TEXT.split()) | _FUNCTION_WORDS
_DIGITS = regex.compile(r"[0-9]+")


@lru_cache(maxsize=1024)
def split_words(folded: str, extra: frozenset[str] = frozenset()) -> tuple[int, ...] | None:
    """Boundaries of the split of ``folded`` into the fewest known words (digit runs count as
    words), or None if it does not split entirely."""
    words = LEXICON | extra
    size = len(folded)
    best: list[tuple[int, ...] | None] = [None] * (size + 1)
    best[0] = ()
    for end in range(1, size + 1):
        for start in range(max(0, end - 24), end):
            previous = best[start]
            piece = folded[start:end]
            if previous is None or not (piece in words or _DIGITS.fullmatch(piece)):
                continue
            candidate = (*previous, end)
            current = best[end]
            if current is None or len(candidate) < len(current):
                best[end] = candidate
    return best[size]


def camel_case(tag: str, extra: frozenset[str] = frozenset()) -> str | None:
    """The CamelCase spelling of a one-case multi-word hashtag (without its "#"), else None."""
    letters = [c for c in tag if c.isalpha()]
    if len(letters) < 6 or not (all(c.islower() for c in letters) or tag.isupper()):
        return None
    folded, origin = fold_text(tag)
    if not folded.isascii() or len(folded) > 60:
        return None
    boundaries = split_words(folded, extra)
    if boundaries is None or len(boundaries) < 2:
        return None
    pieces = [folded[a:b] for a, b in zip((0, *boundaries), boundaries, strict=False)]
    if sum(1 for p in pieces if p not in _FUNCTION_WORDS) < 2:
        return None
    starts = [origin[b] for b in (0, *boundaries[:-1])]
    ends = [*starts[1:], len(tag)]
    return "".join(tag[a:b].capitalize() for a, b in zip(starts, ends, strict=True))


def check_hashtag_case(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    extra = frozenset(
        "".join(fold(c) for c in w) for w in params.get("words", ()) if isinstance(w, str)
    )
    text = snapshot.text
    for start, end in scan.spans_of(text, "hashtag"):
        fixed = camel_case(text[start + 1 : end], extra)
        if fixed is None:
            continue
        message = gettext(
            "Write “%(found)s” as “#%(fixed)s”: with a capital letter at each word, screen "
            "readers read the words instead of spelling one long one."
        ) % {"found": text[start:end], "fixed": fixed}
        yield Finding("a11y.hashtag_case", severity, message, span=(start, end))


def check_hashtags(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    text = snapshot.text
    tags = scan.spans_of(text, "hashtag")
    limit = int(params["max"])
    if len(tags) > limit:
        message = gettext(
            "%(count)d hashtags: the charter allows %(limit)d. Keep the most useful ones; each "
            "is read aloud as “hashtag” followed by the word."
        ) % {"count": len(tags), "limit": limit}
        yield Finding("a11y.hashtags", severity, message, span=(tags[limit][0], tags[-1][1]))
    if not params["at_end"] or not tags:
        return
    # Each part of a thread is read as its own post: a hashtag closing part 1 is at its end.
    ends = [
        (part_end, _last_word_end(text[:part_end], part_start))
        for part_start, part_end in snapshot.part_spans
    ]
    for start, end in tags:
        last_word = next((last for part_end, last in ends if start < part_end), len(text))
        if end <= last_word:
            message = gettext(
                "Move “%(found)s” to the end of the post and write the word plainly here: "
                "a hashtag inside a sentence interrupts it when read aloud."
            ) % {"found": text[start:end]}
            yield Finding("a11y.hashtags", severity, message, span=(start, end))


def _last_word_end(text: str, start: int = 0) -> int:
    """The end of the last letter or digit of ``text[start:]`` outside links, mentions and
    hashtags; ``start`` when there is none."""
    masked = scan.masked(text)
    for index in range(len(masked) - 1, start - 1, -1):
        if masked[index].isalnum():
            return index + 1
    return start


# Emoji that tend to carry the message instead of decorating it, and the words to use instead.
SIGNALS = {
    "⚠": _("“Attention”, “Important”"),
    "➡": _("“voir”, “ici”, “lien”"),
    "👉": _("“voir”, “ici”, “lien”"),
    "👇": _("“ci-dessous”"),
    "⬇": _("“ci-dessous”"),
    "✅": _("“oui”, “c'est fait”, “validé”"),
    "✔": _("“oui”, “c'est fait”, “validé”"),
    "❌": _("“non”, “interdit”, “annulé”"),
    "🚫": _("“non”, “interdit”, “annulé”"),
    "⛔": _("“non”, “interdit”, “annulé”"),
    "📅": _("“le” and the date"),
    "🗓": _("“le” and the date"),
    "📍": _("“à” and the place"),
    "⏰": _("“à” and the time"),
    "🕐": _("“à” and the time"),
    "📞": _("“téléphone”"),
    "☎": _("“téléphone”"),
    "📧": _("“courriel”"),
    "✉": _("“courriel”"),
    "🔗": _("“lien”"),
    "\u2139": _("“information”"),
    "❗": _("“important”"),
    "‼": _("“important”"),
    "🆕": _("“nouveau”"),
    "🆓": _("“gratuit”"),
}


def check_emoji(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    found = scan.emoji(snapshot.text)
    limit = int(params["max"])
    if len(found) > limit:
        message = gettext(
            "%(count)d emoji: the charter allows %(limit)d. Each one is read aloud by its name; "
            "keep those that add something."
        ) % {"count": len(found), "limit": limit}
        yield Finding("a11y.emoji", severity, message, span=(found[limit][0], found[-1][1]))
    seen: dict[str, int] = {}
    for start, end, cluster in found:
        key = scan.emoji_key(cluster)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2 and params["no_repeats"]:
            message = gettext(
                "“%(emoji)s” is repeated: a screen reader says its name each time. Keep one."
            ) % {"emoji": cluster}
            yield Finding("a11y.emoji", severity, message, span=(start, end))
        words = SIGNALS.get(key)
        if words is not None and params["no_signals"]:
            message = gettext(
                "“%(emoji)s” carries meaning that not every reader gets and that screen readers "
                "announce by its name: say it in words (%(words)s)."
            ) % {"emoji": cluster, "words": words}
            yield Finding("a11y.emoji", severity, message, span=(start, end))


def _snapshot(text: str) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,))


A11Y_HASHTAG_CASE = Rule(
    code="a11y.hashtag_case",
    title=_("Multi-word hashtags in CamelCase"),
    rationale=_(
        "A screen reader reads #ServicePublic as two words but tries to pronounce "
        "#servicepublic as one; sighted readers, too, read CamelCase faster. A hashtag in one "
        "case is reported when it splits entirely into known words, with the suggested "
        "spelling; the built-in vocabulary covers common institutional words and a charter can "
        "add its own."
    ),
    default_severity=Severity.WARN,
    check=check_hashtag_case,
    params={
        "words": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_('More words to split hashtags with, e.g. ["dgx", "guichet"].'),
        )
    },
    examples=(
        Example(
            _("Already in CamelCase."),
            _snapshot("Découvrez le guichet unique https://www.service-public.fr #ServicePublic"),
            passes=True,
        ),
        Example(
            _("All lower case."),
            _snapshot("Découvrez le guichet unique https://www.service-public.fr #servicepublic"),
            passes=False,
        ),
    ),
)

A11Y_HASHTAGS = Rule(
    code="a11y.hashtags",
    title=_("Few hashtags, at the end"),
    rationale=_(
        "Each hashtag is announced as “hashtag” followed by the word; a string of them, or one "
        "in the middle of a sentence, makes the post hard to follow by ear. Hashtags belong at "
        "the end, after the last word of the text (links and mentions may follow them); in a "
        "thread, at the end of any part, since each part is read as its own post."
    ),
    default_severity=Severity.WARN,
    check=check_hashtags,
    params={
        "max": Param(
            kind=ParamKind.INTEGER,
            default=3,
            help=_("The most hashtags a post may have."),
            minimum=0,
            maximum=30,
        ),
        "at_end": Param(
            kind=ParamKind.BOOLEAN,
            default=True,
            help=_("Whether hashtags must come after the text rather than inside it."),
        ),
    },
    examples=(
        Example(
            _("Two hashtags after the text."),
            _snapshot("La semaine de l'emploi commence lundi. #Emploi #Jeunes"),
            passes=True,
        ),
        Example(
            _("A hashtag in the middle of the sentence."),
            _snapshot("La semaine de l'#Emploi commence lundi."),
            passes=False,
        ),
    ),
)

A11Y_EMOJI = Rule(
    code="a11y.emoji",
    title=_("Few emoji, not repeated, not carrying the message"),
    rationale=_(
        "A screen reader announces every emoji by its name (“warning sign”, “right arrow”), "
        "so a row of emoji becomes a long list read aloud, and an emoji that replaces words "
        "(⚠️ for “attention”, 📅 for the date, ➡️ for the link) leaves part of the message to "
        "readers who know its conventions. Flags and ZWJ sequences count as one emoji."
    ),
    default_severity=Severity.WARN,
    check=check_emoji,
    params={
        "max": Param(
            kind=ParamKind.INTEGER,
            default=3,
            help=_("The most emoji a post may have."),
            minimum=0,
            maximum=50,
        ),
        "no_repeats": Param(
            kind=ParamKind.BOOLEAN, default=True, help=_("Whether to report a repeated emoji.")
        ),
        "no_signals": Param(
            kind=ParamKind.BOOLEAN,
            default=True,
            help=_("Whether to report emoji that stand for words (⚠️ ➡️ ✅ 📅 📍 …)."),
        ),
    },
    examples=(
        Example(
            _("One decorative emoji."),
            _snapshot("Découvrez le guichet unique 🇫🇷 https://www.service-public.fr"),
            passes=True,
        ),
        Example(
            _("The date and the warning said with emoji only."),
            _snapshot("⚠️ Fermeture exceptionnelle 📅 12 mars"),
            passes=False,
        ),
    ),
)
