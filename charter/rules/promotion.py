"""What an institution's account must not say around elections: its own record, a call to vote
for someone (Code électoral, art. L52-1; the neutrality of the public service).

Both vocabularies are regular expressions over the folded text (lower case, no accents,
straight apostrophes), anchored on word boundaries, so that inflections and phrase variants are
found ("promesses tenues", "grâce à l'action de la maire") and ordinary words are not
("bilans" is found, "bilanz" is not; "les réalisations des élèves" is not a record).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules import scan
from charter.rules.base import Example, Finding, Param, ParamKind, Rule, Severity
from charter.rules.neutrality import _paris, _snapshot, open_windows
from charter.rules.terms import find_folded, find_terms
from charter.snapshot import PostSnapshot

Span = tuple[int, int]

# Determiners and possessives that make a noun the institution's own.
_OURS = r"(?:notre|nos|mon|mes)"
_OF = r"(?:du|des|de\s+la|de\s+l'|de\s+notre|de\s+nos|de\s+son|de\s+sa|de\s+ses|de|d')"
_ACTION = r"(?:action|actions|politique|politiques|impulsion|volonte|investissements?|travail)"
_DEEDS = r"(?:engagements?|mobilisation|determination|soutien|equipes?|majorite|elus?|elues?)"
_PEOPLE = (
    r"(?:maire|majorite(?:\s+municipale)?|equipe\s+municipale|municipalite|elus?|elues?"
    r"|president|presidente|conseil\s+(?:municipal|departemental|regional))"
)
_WE = r"(?:nous\s+avons|nous\s+l'avons|on\s+a|on\s+l'a)"

# Each alternative is one way of presenting a record; the longest match at a place wins.
RECORD_PATTERNS = (
    # "bilan", "bilans", "bilan de mandat", "bilan de mi-mandat", "bilan de la mandature"
    r"bilans?(?:\s+(?:de|du|de\s+la|de\s+notre)\s+(?:mi-?)?(?:mandats?|mandature))?",
    # "grâce à l'action du préfet", "grâce à la politique de la ville", "grâce à notre action"
    rf"grace\s+(?:a\s+l'|a\s+la\s+|au\s+|aux\s+|a\s+{_OURS}\s+){_ACTION}(?:\s+{_OF})?",
    rf"grace\s+a\s+{_OURS}\s+{_DEEDS}",
    rf"grace\s+(?:au|a\s+la|aux|a\s+l'|a\s+{_OURS})\s*{_PEOPLE}",
    # "promesse tenue", "engagements tenus", "promesses respectées", "parole tenue"
    r"(?:promesses?|engagements?|parole)\s+(?:tenue?s?|respectee?s?)",
    r"(?:nous\s+avons|on\s+a)\s+(?:tenu|respecte)\s+(?:toutes\s+)?(?:nos|notre|la|les|nos)"
    r"\s+(?:promesses?|engagements?|parole)",
    rf"{_WE}\s+tenu\s+parole",
    # "nous avons réalisé", "nous l'avons fait", "nous l'avions promis"
    rf"{_WE}\s+(?:realise|accompli|concretise|reussi|livre)",
    r"(?:nous\s+l'avons|on\s+l'a)\s+fait",
    r"(?:nous\s+l'avions|on\s+l'avait)\s+(?:promis|dit|annonce)",
    r"chose\s+promise,?\s+chose\s+due",
    # "nos réalisations", "les réalisations du mandat"
    rf"{_OURS}\s+realisations?",
    r"realisations?\s+(?:du|de\s+notre|de\s+ce)\s+(?:mandat|mandature)",
    r"realisations?\s+de\s+la\s+(?:mandature|majorite|municipalite)",
    r"mission\s+accomplie",
    r"pari\s+(?:tenu|reussi|gagne)",
    r"depuis\s+(?:notre|mon)\s+(?:election|arrivee)",
    r"depuis\s+le\s+debut\s+(?:du|de\s+notre|de\s+ce)\s+mandat",
)
RECORD_RE = regex.compile(rf"(?<![\w-])(?:{'|'.join(RECORD_PATTERNS)})(?![\w-])")

# Where a word of the vocabulary is technical or crisis talk: a health check-up, a carbon
# footprint, the toll of an accident, the rescuers thanked. Reporting those is the public
# service's job, not its promotion.
RECORD_EXCEPTIONS = [
    "bilan carbone",
    "bilan de santé",
    "bilan énergétique",
    "bilan sanguin",
    "bilan médical",
    "bilan de compétences",
    "bilan des gaz à effet de serre",
    "bilan thermique",
    "bilan humain",
    "bilan provisoire",
    "bilan routier",
    "bilan de l'accident",
    "grâce à l'action des secours",
    "grâce à l'action des pompiers",
    "grâce à l'action des bénévoles",
]


def _strings(params: Mapping[str, Any], name: str) -> tuple[str, ...]:
    return tuple(t for t in params.get(name, ()) if isinstance(t, str))


def _outside(spans: list[Span], start: int, end: int) -> bool:
    return not any(a < end and start < b for a, b in spans)


def find_record(
    text: str, extra: tuple[str, ...] = (), exceptions: tuple[str, ...] = ()
) -> Iterator[tuple[int, int]]:
    """Spans presenting the institution's record, outside links and the exception phrases."""
    skip = scan.spans_of(text, "url") + [(a, b) for _t, a, b in find_terms(text, exceptions)]
    hits = [(a, b) for _m, a, b in find_folded(text, RECORD_RE)]
    hits += [(a, b) for _t, a, b in find_terms(text, extra)]
    reported: list[Span] = []
    for start, end in sorted(hits, key=lambda h: (h[0], -h[1])):
        if _outside(skip, start, end) and _outside(reported, start, end):
            reported.append((start, end))
            yield start, end


def check_bilan(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    windows = open_windows(snapshot)
    if not windows:
        return
    found = find_record(snapshot.text, _strings(params, "terms"), _strings(params, "exceptions"))
    for start, end in found:
        message = gettext(
            "“%(found)s” presents the institution's record during the pre-electoral period of "
            "“%(name)s”, which art. L52-1 of the Code électoral forbids. Describe the service, "
            "not its achievements; only the electoral referent can waive this."
        ) % {"found": snapshot.text[start:end], "name": windows[0].name}
        yield Finding("neutrality.bilan", severity, message, span=(start, end))


# --- neutrality.vote_call ------------------------------------------------------------------

# Whom a call to vote names: a person, a list, a party, "us". Never a date, a place, a project
# or a favourite monument: "votez le 15 mars", "votez pour vos projets préférés" pass.
_WHOM = (
    r"(?:nous|moi|lui|elle|eux|elles"
    r"|(?:notre|nos|la|le|les|l'|votre|vos)\s*(?:listes?|candidate?s?|candidatures?\s+de"
    r"|equipe\s+municipale|majorite|maire|president|presidente|deputee?s?|partis?|mouvement))"
)
VOTE_CALL_PATTERNS = (
    rf"(?:re)?vot(?:ez|ons)(?:\s+(?:tous|toutes|massivement|nombreux|nombreuses))?\s+pour\s+{_WHOM}",
    r"(?:donnez|accordez|apportez|confiez)[-\s]+(?:nous|moi|lui|leur)\s+(?:vos|votre)"
    r"\s+(?:voix|suffrages?|vote|confiance)",
    r"(?:re)?elisez-(?:nous|moi|le|la|les)",
    r"(?:re)?elisez\s+(?:notre|nos)\s+(?:listes?|candidate?s?|equipe|maire)",
    r"soutenez\s+(?:notre|nos)\s+(?:listes?|candidate?s?)",
    r"vote\s+for\s+(?:us|me|him|her|them|our\s+(?:list|candidates?|party|team))",
)
VOTE_CALL_RE = regex.compile(rf"(?<![\w-])(?:{'|'.join(VOTE_CALL_PATTERNS)})(?![\w-])")


def check_vote_call(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    windows = open_windows(snapshot)
    # Outside an election "votez pour nous" may be a contest (the favourite village, a green
    # capital): a warning makes the author check; inside a pre-electoral period it blocks.
    effective = severity if windows else Severity.WARN
    skip = scan.spans_of(snapshot.text, "url")
    for _match, start, end in find_folded(snapshot.text, VOTE_CALL_RE):
        if not _outside(skip, start, end):
            continue
        found = snapshot.text[start:end]
        if windows:
            message = gettext(
                "“%(found)s” calls on readers to vote for someone during the pre-electoral "
                "period of “%(name)s”: an institution's account must never. Remove it."
            ) % {"found": found, "name": windows[0].name}
        else:
            message = gettext(
                "“%(found)s” calls on readers to vote for someone: an institution's account "
                "stays neutral. Keep it only for a vote that is not an election (a contest, a "
                "participatory budget), and say so."
            ) % {"found": found}
        yield Finding("neutrality.vote_call", effective, message, span=(start, end))


# --- Rules ---------------------------------------------------------------------------------


NEUTRALITY_BILAN = Rule(
    code="neutrality.bilan",
    title=_("No promotion of the institution's record before an election"),
    rationale=_(
        "“À compter du premier jour du sixième mois précédant le mois au cours duquel il doit "
        "être procédé à des élections générales, aucune campagne de promotion publicitaire des "
        "réalisations ou de la gestion d'une collectivité ne peut être organisée sur le "
        "territoire des collectivités intéressées par le scrutin” (Code électoral, art. L52-1, "
        "al. 2). During that period a post that presents the institution's record blocks: a "
        "“bilan” or “bilan de mandat”, promises or commitments kept (“promesse tenue”, "
        "“engagements tenus”), what was done “grâce à l'action du/de la/des…” or “grâce à "
        "notre action”, “nous avons réalisé”, “nos réalisations”, “mission accomplie”. Words "
        "are found whole, inflected, whatever their case and accents; technical uses of "
        "“bilan” (bilan carbone, bilan de santé, bilan humain of an accident…) are left alone. "
        "Outside that period these words are ordinary and pass. Only an electoral referent of "
        "the speaking unit (who also holds the waive right) may waive a finding, for a post "
        "that only informs."
    ),
    default_severity=Severity.BLOCK,
    check=check_bilan,
    params={
        "terms": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_(
                "More promotional phrases, found whole whatever their case and accents, "
                'besides the built-in vocabulary, e.g. ["la ville avance"].'
            ),
        ),
        "exceptions": Param(
            kind=ParamKind.STRINGS,
            default=RECORD_EXCEPTIONS,
            help=_("Phrases in which a word of the vocabulary is not promotion."),
        ),
    },
    examples=(
        Example(
            _("A record presented after the elections."),
            _snapshot("Le bilan de la saison culturelle est en ligne.", _paris(2026, 4, 2)),
            passes=True,
        ),
        Example(
            _("A carbon footprint published during the pre-electoral period."),
            _snapshot("Le bilan carbone des services est publié.", _paris(2026, 1, 12)),
            passes=True,
        ),
        Example(
            _("Promises kept, in January before the vote."),
            _snapshot("Nouvelle crèche : promesse tenue !", _paris(2026, 1, 12)),
            passes=False,
        ),
    ),
)

NEUTRALITY_VOTE_CALL = Rule(
    code="neutrality.vote_call",
    title=_("No call to vote for someone"),
    rationale=_(
        "An institution's account may encourage people to vote (“votez le 15 mars”, “pensez à "
        "la procuration”) but never for someone: “votez pour nous”, “votez pour notre liste”, "
        "“donnez-nous vos voix”, “réélisez-le” speak for a candidate, not for the public "
        "service. During a pre-electoral period it blocks (electoral propaganda with public "
        "means, Code électoral art. L52-1 and L52-8). Outside any election it is a warning "
        "rather than a block, because the same words serve contests an institution may enter "
        "(“votez pour nous” for the favourite village, a European green capital): the author "
        "checks, and a reviewer sees it. Voting for projects or places (“votez pour vos "
        "projets préférés”) is not flagged."
    ),
    default_severity=Severity.BLOCK,
    check=check_vote_call,
    examples=(
        Example(
            _("Encouraging people to vote."),
            _snapshot("Dimanche, votez ! Les bureaux ouvrent à 8 h.", _paris(2026, 4, 2)),
            passes=True,
        ),
        Example(
            _("A ministry asking for votes outside any election."),
            _snapshot("Votez pour nous le 12 juin !", _paris(2026, 5, 2)),
            passes=False,
        ),
    ),
)
