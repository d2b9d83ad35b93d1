"""Which language a short post is written in, offline, for French, English, German, Spanish
and Italian.

No detection library is installed, and a post is a few dozen words: counting each language's
function words (articles, pronouns, prepositions, auxiliaries), plus the elisions and letters
that only one of them uses, tells these five apart reliably on a sentence or two, and in a few
microseconds. Too few clues, or two languages too close, give no answer rather than a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from charter.rules import scan


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words, lowercase, without accents removed (accents are clues too). A word shared by
# two languages ("a", "de", "la", "in", "die"...) still counts for both; the margin decides.
STOPWORDS: dict[str, frozenset[str]] = {
    "fr": _words(
        "à le la les un une des du de au aux et ou est sont été être avec pour par sur "
        "dans ce cet cette ces qui que quoi dont où il elle ils elles nous vous je tu on "
        "leur leurs son sa ses mon ma mes votre vos notre nos pas ne plus très aussi "
        "mais donc car comme sans sous chez entre vers depuis pendant avant après lors "
        "tout tous toute toutes même été ont avons avez fait peut sera seront était sont "
        "cela ceci ici là aujourd demain hier lundi mardi mercredi jeudi vendredi "
        "samedi dimanche"
    ),
    "en": _words(
        "the a an and or is are was were be been being with for by on in into of to from "
        "this that these those which who whom what where when it its he she they we you "
        "i our your their his her not no more very also but so because as without under "
        "at between about after before during all every same has have had do does did "
        "can will would should could may must here there today tomorrow yesterday monday "
        "tuesday wednesday thursday friday saturday sunday than then"
    ),
    "de": _words(
        "der die das den dem des ein eine einer einen einem und oder ist sind war waren "
        "sein mit für von auf in im ins zu zum zur aus bei nach über unter durch gegen "
        "ohne um dieser diese dieses wer was wo wann es er sie wir ihr ich du unser euer "
        "nicht kein keine mehr sehr auch aber also weil wie alle hat haben hatte wird "
        "werden kann können muss hier dort heute morgen gestern montag dienstag mittwoch "
        "donnerstag freitag samstag sonntag als dass sich"
    ),
    "es": _words(
        "el la los las un una unos unas y o es son fue fueron ser estar está están con "
        "para por sobre en de del al este esta estos estas ese esa que quien cual donde "
        "cuando él ella ellos ellas nosotros vosotros yo tu su sus mi mis nuestro "
        "nuestra no más muy también pero porque como sin bajo entre desde durante antes "
        "después todo todos toda todas ha han hay puede será hoy mañana ayer lunes "
        "martes miércoles jueves viernes sábado domingo se lo le"
    ),
    "it": _words(
        "il lo la i gli le un uno una e ed o è sono era erano essere con per da su in di "
        "del della dei delle al alla ai nel nella questo questa questi queste quello "
        "quella che chi cui dove quando lui lei loro noi voi io tu suo sua suoi mio mia "
        "nostro nostra non più molto anche ma perché come senza sotto tra fra dopo prima "
        "durante tutto tutti tutta tutte ha hanno può sarà oggi domani ieri lunedì "
        "martedì mercoledì giovedì venerdì sabato domenica si ci"
    ),
}

# Letters or signs one language alone uses in ordinary text, each worth a function word.
LETTERS: dict[str, str] = {"fr": "çœêëîïûùâ", "de": "äöüß", "es": "ñ¿¡", "it": "òì"}

# French and Italian elide articles and pronouns: "l'usager", "d'un", "qu'il", "dell'anno".
_ELISION = regex.compile(
    r"(?<!\w)(l|d|qu|j|n|s|c|m|t|jusqu|lorsqu|puisqu)['\u2019](?=\p{L})", regex.I
)
_ITALIAN_ELISION = regex.compile(
    r"(?<!\w)(dell|all|nell|sull|dall|un|quest|quell)['\u2019](?=\p{L})", regex.I
)
# Apostrophes split words: "l'usager" is "l" and "usager" (the elision is counted apart).
_WORD = regex.compile(r"\p{L}+")
# word -> the languages it is a function word of, so each word is looked up once.
_VOTES: dict[str, tuple[str, ...]] = {}
for _language, _words_of in STOPWORDS.items():
    for _word in _words_of:
        _VOTES[_word] = (*_VOTES.get(_word, ()), _language)


@dataclass(frozen=True)
class Detection:
    language: str  # "fr" | "en" | "de" | "es" | "it"
    clues: int  # function words and distinctive letters that voted for it
    runner_up: int


@lru_cache(maxsize=16)
def detect(text: str, min_clues: int = 3) -> Detection | None:
    """The language of ``text``, or None when its clues are too few or too close.

    Links, mentions and hashtags are left out: they are not written in the post's language.
    """
    masked = scan.masked(text).casefold()
    scores = dict.fromkeys(STOPWORDS, 0)
    for word in _WORD.findall(masked):
        for language in _VOTES.get(word, ()):
            scores[language] += 1
    scores["fr"] += len(_ELISION.findall(masked))
    scores["it"] += len(_ITALIAN_ELISION.findall(masked))
    for language, letters in LETTERS.items():
        scores[language] += sum(masked.count(letter) for letter in letters)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, clues), (_second, runner_up) = ranked[0], ranked[1]
    # A clear lead: at least min_clues, and half as many again as the next language.
    if clues < min_clues or clues * 2 < runner_up * 3:
        return None
    return Detection(best, clues, runner_up)
