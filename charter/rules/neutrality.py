"""Neutrality of public communication around elections (Code électoral, art. L49 and L52-1).

The elections come from the snapshot (``election_windows``, configured per unit) and the time
judged is the schedule, or the time of the check for a post sent as soon as approved.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from typing import Any

from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.elections import PARIS, as_aware, in_window, silence_period, zone
from charter.rules.base import Example, Finding, Param, ParamKind, Rule, Severity
from charter.rules.terms import find_terms
from charter.snapshot import ElectionWindowSnapshot, PostSnapshot, RenditionSnapshot

# The post goes to the electoral referent: the political tier's approval chain has that step.
ELECTION_TIER = "political"


def _day(value: date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _moment(value: datetime, window: ElectionWindowSnapshot | None = None) -> str:
    """In the election's local time (Paris unless the election says otherwise)."""
    tz = zone(window.time_zone) if window is not None else PARIS
    return formats.date_format(as_aware(value).astimezone(tz), "DATETIME_FORMAT")


def open_windows(snapshot: PostSnapshot) -> list[ElectionWindowSnapshot]:
    moment = snapshot.effective_time
    if moment is None:
        return []
    return [w for w in snapshot.election_windows if in_window(w, moment)]


def check_election_window(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    for window in open_windows(snapshot):
        message = gettext(
            "This post goes out during the pre-electoral period of “%(name)s” (%(start)s to "
            "%(end)s): the electoral referent must approve it. Keep to practical information; "
            "do not promote the institution's achievements or its leaders."
        ) % {"name": window.name, "start": _day(window.window_start), "end": _day(window.last_vote)}
        yield Finding("neutrality.election_window", severity, message, min_tier=ELECTION_TIER)


def _polls_close(window: ElectionWindowSnapshot, params: Mapping[str, Any]) -> time:
    """The election's own closing time, else the charter's hour."""
    return window.polls_close or time(int(params["polls_close"]))


def silence_of(
    window: ElectionWindowSnapshot, vote: date, params: Mapping[str, Any]
) -> tuple[datetime, datetime]:
    return silence_period(
        vote,
        hours_before=int(params["hours_before"]),
        polls_close=_polls_close(window, params),
        tz=zone(window.time_zone),
    )


def check_electoral_silence(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    moment = snapshot.effective_time
    if moment is None:
        return
    moment = as_aware(moment)
    for window in snapshot.election_windows:
        for vote in window.vote_dates:
            start, end = silence_of(window, vote, params)
            if start <= moment < end:
                message = gettext(
                    "This post would go out at %(when)s, during the electoral silence before "
                    "the vote of %(vote)s (“%(name)s”), which lasts from %(start)s until the "
                    "polls close at %(end)s (Code électoral, art. L49): schedule it after that."
                ) % {
                    "when": _moment(moment, window),
                    "vote": _day(vote),
                    "name": window.name,
                    "start": _moment(start, window),
                    "end": _moment(end, window),
                }
                yield Finding("neutrality.electoral_silence", severity, message)


def _terms(params: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(t for t in params.get("terms", ()) if isinstance(t, str))


def _capitalised_as(term: str, found: str) -> bool:
    """Every word the term capitalises is capitalised in the text (or the text is in capitals)."""
    pairs = zip(term.split(), found.split(), strict=False)
    return all(f[:1].isupper() for t, f in pairs if t[:1].isupper())


def check_partisan(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    windows = open_windows(snapshot)
    # Outside an election a party's name may be news (a law it voted): a warning is enough.
    effective = severity if windows else Severity.WARN
    for term, start, end in find_terms(snapshot.text, _terms(params)):
        found = snapshot.text[start:end]
        if term.casefold() in _PROPER_NOUNS and not _capitalised_as(term, found):
            continue  # "la reconquête des berges" names no party
        if windows:
            message = gettext(
                "“%(found)s” names a party or repeats a slogan (“%(term)s”) during the "
                "pre-electoral period of “%(name)s”: an institution's account must not. Remove it."
            ) % {"found": found, "term": term, "name": windows[0].name}
        else:
            message = gettext(
                "“%(found)s” names a party or repeats a slogan (“%(term)s”): an institution's "
                "account stays neutral. Remove it unless the post reports a public fact."
            ) % {"found": found, "term": term}
        yield Finding("neutrality.partisan", effective, message, span=(start, end))


# --- Examples ----------------------------------------------------------------------------------

_MUNICIPALES = ElectionWindowSnapshot(
    name="Municipales 2026",
    kind="municipal",
    window_start=date(2025, 9, 1),
    vote_dates=(date(2026, 3, 15), date(2026, 3, 22)),
)


def _snapshot(text: str, when: datetime) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(
        text=text,
        language="fr",
        renditions=(rendition,),
        scheduled_for=when,
        election_windows=(_MUNICIPALES,),
    )


def _paris(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


_PRACTICAL = "La mairie annexe change d'horaires à partir de lundi."

NEUTRALITY_ELECTION_WINDOW = Rule(
    code="neutrality.election_window",
    title=_("Pre-electoral period"),
    rationale=_(
        "From the first day of the sixth month before an election's month until its last round "
        "(Code électoral, art. L52-1), an institution may not promote its achievements, and "
        "its communication must stay neutral. A post scheduled inside such a period (or sent "
        "then, when unscheduled) is raised to the political tier, so that the electoral "
        "referent approves it. Elections are configured per unit and apply to the units below."
    ),
    default_severity=Severity.WARN,
    check=check_election_window,
    examples=(
        Example(
            _("Scheduled after the last round."),
            _snapshot(_PRACTICAL, _paris(2026, 3, 23)),
            passes=True,
        ),
        Example(
            _("Scheduled in January before the March municipal elections."),
            _snapshot(_PRACTICAL, _paris(2026, 1, 12)),
            passes=False,
        ),
    ),
)

NEUTRALITY_ELECTORAL_SILENCE = Rule(
    code="neutrality.electoral_silence",
    title=_("Electoral silence"),
    rationale=_(
        "“À partir de la veille du scrutin à zéro heure”, no electoral communication may be "
        "published until the polls close (Code électoral, art. L49). The silence starts at "
        "00:00 on the eve of each round (Saturday 00:00 for a Sunday vote) and ends when the "
        "polls close: the election's own closing time if it has one, else 20:00. Both are read "
        "in the election's time zone (Europe/Paris unless the election says otherwise, e.g. "
        "overseas). A charter may start the silence earlier, never later. No charter and no "
        "waiver can lift it; reschedule the post."
    ),
    default_severity=Severity.BLOCK,
    check=check_electoral_silence,
    # A legal prohibition (Code électoral, art. L49): no charter may lower or disable it.
    locked=True,
    waivable=False,
    params={
        "hours_before": Param(
            kind=ParamKind.INTEGER,
            default=24,
            help=_(
                "How many hours before midnight starting the vote day the silence begins: "
                "24 is the law's 00:00 on the eve; more starts it earlier."
            ),
            minimum=24,
            maximum=168,
        ),
        "polls_close": Param(
            kind=ParamKind.INTEGER,
            default=20,
            help=_(
                "The hour (local time) the last polls close on the vote day, for elections "
                "that do not give their own closing time."
            ),
            minimum=18,
            maximum=22,
        ),
    },
    examples=(
        Example(
            _("Scheduled on the evening of the first round, after the polls close."),
            _snapshot(_PRACTICAL, _paris(2026, 3, 15, 20, 0)),
            passes=True,
        ),
        Example(
            _("Scheduled on the Friday evening before the first round."),
            _snapshot(_PRACTICAL, _paris(2026, 3, 13, 23, 59)),
            passes=True,
        ),
        Example(
            _("Scheduled on the Saturday before the first round."),
            _snapshot(_PRACTICAL, _paris(2026, 3, 14, 9, 30)),
            passes=False,
        ),
    ),
)

# Party names that are also ordinary words name a party only when capitalised as one:
# "la reconquête des berges", "les républicains espagnols", "à l'horizon" are not partisan.
PROPER_NOUNS = (
    "Les Républicains",
    "Les Écologistes",
    "Reconquête",
    "Renaissance",
    "Horizons",
    "MoDem",
    "Debout la France",
    "Lutte ouvrière",
)
_PROPER_NOUNS = frozenset(name.casefold() for name in PROPER_NOUNS)

PARTISAN_TERMS = [
    "Rassemblement national",
    "La France insoumise",
    "Parti socialiste",
    "Parti communiste français",
    "Europe Écologie Les Verts",
    "Mouvement démocrate",
    *PROPER_NOUNS,
    "Nouveau Parti anticapitaliste",
    "Nouveau Front populaire",
    "Union des démocrates et indépendants",
]

NEUTRALITY_PARTISAN = Rule(
    code="neutrality.partisan",
    title=_("No party names or slogans"),
    rationale=_(
        "An institution's account speaks for the public service, not for a party. A party's "
        "name or a campaign slogan blocks the post during a pre-electoral period and is a "
        "warning otherwise (reporting a public fact may need it). Names are found whole, "
        "whatever their case and accents, except names that are also ordinary words "
        "(Renaissance, Horizons, Reconquête, MoDem, Les Républicains…), found only when "
        "capitalised as a name. Charters add their local lists and slogans."
    ),
    default_severity=Severity.BLOCK,
    check=check_partisan,
    params={
        "terms": Param(
            kind=ParamKind.STRINGS,
            default=PARTISAN_TERMS,
            help=_('Party names and slogans, e.g. ["Parti socialiste", "Ensemble pour demain"].'),
        )
    },
    examples=(
        Example(
            _("No party named."),
            _snapshot("Le conseil municipal se réunit jeudi à 18 h.", _paris(2026, 1, 12)),
            passes=True,
        ),
        Example(
            _("A party named during the pre-electoral period."),
            _snapshot(
                "Merci aux élus du Parti socialiste pour la rénovation de l'école.",
                _paris(2026, 1, 12),
            ),
            passes=False,
        ),
    ),
)
