"""The post's language: tagged, tagged right, French where the law asks, without anglicisms
that have an official French equivalent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules import scan
from charter.rules.base import Example, Finding, Param, ParamError, ParamKind, Rule, Severity
from charter.rules.langdetect import detect
from charter.rules.terms import find_terms
from charter.snapshot import PostSnapshot, RenditionSnapshot

# BCP 47 as Mastodon and Bluesky take it: a 2-3 letter language, then optional subtags.
_TAG_RE = regex.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
LANGUAGE_NAMES = {
    "fr": _("French"),
    "en": _("English"),
    "de": _("German"),
    "es": _("Spanish"),
    "it": _("Italian"),
}


def primary(tag: str) -> str:
    return tag.strip().split("-", 1)[0].casefold()


def _name(code: str) -> str:
    return str(LANGUAGE_NAMES.get(code, code))


# --- lang.tag ----------------------------------------------------------------------------------


def check_tag(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    tag = snapshot.language.strip()
    if not tag or not _TAG_RE.fullmatch(tag):
        message = gettext(
            "The post has no valid language tag (“%(tag)s”): choose its language, e.g. fr, so "
            "that screen readers pronounce it right and readers' filters show it."
        ) % {"tag": tag}
        yield Finding("lang.tag", severity, message)
        return
    found = detect(snapshot.text, int(params["min_clues"]))
    if found is not None and found.language != primary(tag):
        message = gettext(
            "The text reads as %(found)s but is tagged %(tag)s: change the post's language to "
            "%(code)s, or the text, so that screen readers pronounce it right."
        ) % {"found": _name(found.language), "tag": tag, "code": found.language}
        yield Finding("lang.tag", severity, message)


# --- lang.french_required ----------------------------------------------------------------------


def check_french_required(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    other = {h.casefold().lstrip("@") for h in params.get("other_language_accounts", ())}
    concerned = [r for r in snapshot.renditions if r.handle.casefold().lstrip("@") not in other]
    if not concerned:
        return
    tag = primary(snapshot.language)
    found = detect(snapshot.text, int(params["min_clues"]))
    if tag == "fr" and (found is None or found.language == "fr"):
        return
    language = found.language if found is not None and found.language != "fr" else tag
    if not language:
        return  # untagged and undecided: lang.tag asks for the tag
    for rendition in concerned:
        message = gettext(
            "@%(handle)s publishes in French (loi Toubon): this post is in %(language)s. Write "
            "it in French, or publish it on an account listed as speaking another language."
        ) % {"handle": rendition.handle, "language": _name(language)}
        yield Finding("lang.french_required", severity, message, account_id=rendition.account_id)


# --- lang.anglicisms ---------------------------------------------------------------------------

# FranceTerme's official equivalents (Commission d'enrichissement de la langue française).
ANGLICISMS: dict[str, str] = {
    "e-mail": "courriel",
    "email": "courriel",
    "e-mails": "courriels",
    "emails": "courriels",
    "newsletter": "infolettre (lettre d'information)",
    "newsletters": "infolettres",
    "hashtag": "mot-dièse",
    "hashtags": "mots-dièse",
    "live": "direct (en direct)",
    "podcast": "balado (audio à la demande)",
    "podcasts": "balados",
    "startup": "jeune pousse",
    "start-up": "jeune pousse",
    "startups": "jeunes pousses",
    "start-ups": "jeunes pousses",
    "fake news": "infox",
    "smartphone": "mobile multifonction",
    "smartphones": "mobiles multifonctions",
    "streaming": "diffusion en flux",
    "replay": "rediffusion (en différé)",
    "brainstorming": "remue-méninges",
    "coworking": "cotravail",
    "crowdfunding": "financement participatif",
    "deadline": "date limite (échéance)",
    "feedback": "retour d'information",
    "followers": "abonnés",
    "follower": "abonné",
    "hackathon": "marathon de programmation",
    "open data": "données ouvertes",
    "big data": "mégadonnées",
    "community manager": "animateur de communauté",
    "selfie": "égoportrait",
    "spam": "pourriel",
    "digital": "numérique",
    "e-learning": "formation en ligne",
    "chatbot": "dialogueur",
    "flyer": "prospectus",
    "benchmark": "étalonnage (parangonnage)",
    "checklist": "liste de contrôle",
    "meeting": "réunion",
    "buzz": "ramdam",
    "open space": "bureau paysager",
    "webinar": "webinaire",
    "challenge": "défi",
    "QR code": "code QR",
}


def _split_pair(value: str) -> tuple[str, str]:
    term, _sep, suggestion = value.partition("=")
    return term.strip(), suggestion.strip()


def _validate_pairs(values: list[str]) -> None:
    for value in values:
        term, suggestion = _split_pair(value)
        if not term or not suggestion:
            raise ParamError(
                gettext("“%(value)s” is not of the form “term=French equivalent”")
                % {"value": value}
            )


@lru_cache(maxsize=32)
def _dictionary(extra: tuple[str, ...], allowed: tuple[str, ...]) -> dict[str, str]:
    table = dict(ANGLICISMS)
    table.update(_split_pair(value) for value in extra)
    tolerated = {a.casefold() for a in allowed}
    return {term: s for term, s in table.items() if term.casefold() not in tolerated}


def check_anglicisms(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    if primary(snapshot.language) != "fr":
        return
    table = _dictionary(tuple(params.get("extra", ())), tuple(params.get("allowed", ())))
    # Links, mentions and hashtags are names, not prose: "#podcast" is left alone.
    for term, start, end in find_terms(scan.masked(snapshot.text), tuple(table)):
        message = gettext(
            "“%(found)s” is an anglicism with an official French equivalent: write "
            "“%(suggestion)s”."
        ) % {"found": snapshot.text[start:end], "suggestion": table[term]}
        yield Finding("lang.anglicisms", severity, message, span=(start, end))


# --- Examples ----------------------------------------------------------------------------------


def _snapshot(text: str, language: str = "fr", handle: str = "dgx") -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle=handle, body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language=language, renditions=(rendition,))


_FRENCH = "Bonne nouvelle pour les usagers : le guichet unique ouvre ses portes lundi."
_ENGLISH = "Good news for residents: the one-stop shop opens on Monday at the town hall."

LANG_TAG = Rule(
    code="lang.tag",
    title=_("Language tag matches the text"),
    rationale=_(
        "Mastodon and Bluesky publish the post's language tag: screen readers pick their voice "
        "from it and readers filter on it. The post must have one, and it must be the "
        "language of the text. The language is recognised offline from its function words "
        "and letters (French, English, German, Spanish, Italian); a text too short or too "
        "mixed to tell is not judged."
    ),
    default_severity=Severity.WARN,
    check=check_tag,
    params={
        "min_clues": Param(
            kind=ParamKind.INTEGER,
            default=3,
            help=_("How many clues (function words, distinctive letters) a verdict needs."),
            minimum=1,
            maximum=20,
        )
    },
    examples=(
        Example(_("French text tagged French."), _snapshot(_FRENCH), passes=True),
        Example(_("English text tagged French."), _snapshot(_ENGLISH), passes=False),
    ),
)

LANG_FRENCH_REQUIRED = Rule(
    code="lang.french_required",
    title=_("French on French-speaking accounts"),
    rationale=_(
        "A public administration communicates in French (loi n° 94-665, “loi Toubon”). A post "
        "tagged in another language, or whose text reads as another language, is refused on "
        "the accounts that publish in French; accounts meant for another language (e.g. an "
        "English account for foreign audiences) are listed in the charter. A reviewer can "
        "waive the rule for one post (a quotation, a message for tourists)."
    ),
    default_severity=Severity.BLOCK,
    check=check_french_required,
    params={
        "other_language_accounts": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_('Handles of accounts that publish in another language, e.g. ["dgx_en"].'),
        ),
        "min_clues": Param(
            kind=ParamKind.INTEGER,
            default=3,
            help=_("How many clues (function words, distinctive letters) a verdict needs."),
            minimum=1,
            maximum=20,
        ),
    },
    examples=(
        Example(
            _("English on the account listed as English-speaking."),
            _snapshot(_ENGLISH, "en", handle="dgx_en"),
            passes=True,
            params={"other_language_accounts": ["dgx_en"]},
        ),
        Example(
            _("English on a French account."),
            _snapshot(_ENGLISH, "en"),
            passes=False,
            params={"other_language_accounts": ["dgx_en"]},
        ),
    ),
)

LANG_ANGLICISMS = Rule(
    code="lang.anglicisms",
    title=_("Official French equivalents of anglicisms"),
    rationale=_(
        "For many English words the Commission d'enrichissement de la langue française has "
        "published an official equivalent (FranceTerme), which public services are expected "
        "to use: courriel, infolettre, mot-dièse, balado, jeune pousse, infox… The words are "
        "found whole, whatever their case and accents, in French posts only, and not inside "
        "links, mentions or hashtags. A charter adds its own pairs or tolerates a word (a "
        "brand, a title)."
    ),
    default_severity=Severity.WARN,
    check=check_anglicisms,
    params={
        "extra": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_('More pairs, e.g. ["newsroom=salle de rédaction"].'),
            validate=_validate_pairs,
        ),
        "allowed": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_('Words the charter tolerates, e.g. ["live"].'),
        ),
    },
    examples=(
        Example(
            _("The official equivalent."),
            _snapshot("Abonnez-vous à notre infolettre."),
            passes=True,
        ),
        Example(
            _("An anglicism."),
            _snapshot("Abonnez-vous à notre newsletter et suivez le live."),
            passes=False,
        ),
    ),
)
