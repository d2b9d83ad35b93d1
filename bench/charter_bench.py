"""Time of the full offline charter check per post.

    .venv/bin/python bench/charter_bench.py                 # 10,000 posts, 3 runs
    .venv/bin/python bench/charter_bench.py --posts 1000 --runs 1   # quick

Generates ``--posts`` realistic posts from a fixed seed (French sentences, links, emoji,
mentions, hashtags, now and then a phone number, an address or capitals; 0 to 4 images with
their alt texts; a Mastodon and a Bluesky rendition, each with a byline; a schedule in 2026,
an election, the author's unit and initials, a source for half of them), then runs
``charter.engine.check`` with ``CharterConfig.default()`` on each, ``--runs`` times over the
whole set, timing every post with ``time.perf_counter_ns``. Goal (issue #4): median <= 2 ms and
p99 <= 10 ms per post.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from charter.elections import PARIS  # noqa: E402
from charter.engine import CharterConfig, check  # noqa: E402
from charter.snapshot import (  # noqa: E402
    ElectionWindowSnapshot,
    MediaSnapshot,
    PostSnapshot,
    RenditionSnapshot,
)

# Every post is checked against an election, a quarter of them inside its pre-electoral period,
# so that the neutrality rules run their whole path rather than stop at "no election".
ELECTION = ElectionWindowSnapshot(
    "Municipales 2026",
    "municipal",
    dt.date(2025, 9, 1),
    (dt.date(2026, 3, 15), dt.date(2026, 3, 22)),
)
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=PARIS)

GOAL_MEDIAN_MS = 2.0
GOAL_P99_MS = 10.0

_OPENINGS = [
    "Bonne nouvelle pour les usagers :",
    "À partir de lundi,",
    "Rappel :",
    "Cette semaine,",
    "Depuis le 1er mars,",
    "Le saviez-vous ?",
    "Retour en images :",
    "Nouveau :",
]
_SUBJECTS = [
    "le guichet unique",
    "la préfecture",
    "le centre des finances publiques",
    "la mairie annexe",
    "France services",
    "le service des cartes grises",
    "la médiathèque",
    "l'agence de l'eau",
]
_VERBS = [
    "ouvre ses portes",
    "vous accueille sans rendez-vous",
    "change d'horaires",
    "lance une consultation publique",
    "recrute des apprentis",
    "organise une journée portes ouvertes",
    "simplifie vos démarches en ligne",
    "publie son rapport annuel",
]
_COMPLEMENTS = [
    "du lundi au vendredi de 9 h à 17 h.",
    "le 12/03/2026 à 14 h.",
    "pour les 1 500 familles concernées.",
    "dans les 36 communes du département.",
    "avec la CAF et la CPAM.",
    "jusqu'au 30 juin 2026.",
    "au 2 rue de la République, 75007 Paris.",
    "pour tous les usagers, gratuitement.",
]
_EXTRAS = [
    "Plus d'informations sur notre site.",
    "Venez nombreux !",
    "Merci à toutes les équipes mobilisées.",
    "Un accompagnement gratuit et confidentiel.",
    "Numéro vert : 0 800 123 456.",
    "Contact : accueil@mairie-exemple.fr",
    "Appelez Marie au 06 12 34 56 78.",
    "ATTENTION FERMETURE EXCEPTIONNELLE le 14 juillet.",
    "Pour vous inscrire, cliquez ici.",
]
_URLS = [
    "https://www.service-public.fr",
    "https://www.impots.gouv.fr/particulier/questions/comment-declarer",
    "https://www.ameli.fr/assure/remboursements?utm_source=mastodon",
    "https://www.example.gouv.fr/actualites/2026/03/ouverture-du-guichet-unique",
]
_HASHTAGS = ["#ServicePublic", "#Emploi", "#servicepublic", "#JO2024", "#FeteDeLaMusique"]
_MENTIONS = ["@dgx@social.example", "@prefecture", "@franceservices@mastodon.social"]
_EMOJI = ["🇫🇷", "🎉", "👉", "📅", "⚠️", "✅", "👩\u200d💻", "👍🏽", ""]
_ALTS = [
    "La préfète coupe le ruban devant l'entrée du centre.",
    "Affiche : ouverture du guichet unique, lundi 9 h.",
    "Photo",
    "IMG_2041.JPG",
    "Une file d'usagers devant l'accueil, sous un ciel bleu.",
    "",
]


def make_post(rng: random.Random, index: int) -> PostSnapshot:
    parts = [
        rng.choice(_OPENINGS),
        rng.choice(_SUBJECTS),
        rng.choice(_VERBS),
        rng.choice(_COMPLEMENTS),
    ]
    for _ in range(rng.randint(0, 2)):
        parts.append(rng.choice(_EXTRAS))
    if rng.random() < 0.3:
        parts.insert(0, rng.choice(_EMOJI))
    if rng.random() < 0.4:
        parts.append(rng.choice(_MENTIONS))
    if rng.random() < 0.7:
        parts.append(rng.choice(_URLS))
    parts.extend(rng.sample(_HASHTAGS, rng.randint(0, 3)))
    body = " ".join(p for p in parts if p)
    media = tuple(
        MediaSnapshot(f"photo{index}-{n}.jpg", rng.choice(_ALTS), "image/jpeg", 400_000)
        for n in range(rng.randint(0, 4))
    )
    renditions = (
        RenditionSnapshot(1, "mastodon", "dgx@social.example", body, "— DGX ^JD"),
        RenditionSnapshot(2, "bluesky", "dgx.bsky.social", body, "— DGX ^JD"),
    )
    scheduled = YEAR_START + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
    return PostSnapshot(
        text=body,
        language="fr",
        renditions=renditions,
        media=media,
        scheduled_for=scheduled if rng.random() < 0.7 else None,
        checked_at=YEAR_START,
        source="Insee" if rng.random() < 0.5 else "",
        author_unit_code="DGX",
        author_initials="JD",
        election_windows=(ELECTION,),
    )


def percentile(sorted_ns: list[int], fraction: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    rank = max(0, min(len(sorted_ns) - 1, round(fraction * len(sorted_ns)) - 1))
    return sorted_ns[rank] / 1e6


def run_once(posts: list[PostSnapshot], config: CharterConfig) -> list[int]:
    timings: list[int] = []
    for snapshot in posts:
        started = time.perf_counter_ns()
        check(snapshot, config)
        timings.append(time.perf_counter_ns() - started)
    return timings


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    posts = [make_post(rng, i) for i in range(args.posts)]
    config = CharterConfig.default()
    mean_length = statistics.fmean(len(p.text) for p in posts)
    print(
        f"machine: {os.cpu_count()} CPUs, {cpu_model()}; Python {platform.python_version()}\n"
        f"posts: {args.posts} (seed {args.seed}, mean text {mean_length:.0f} characters, "
        f"{sum(len(p.media) for p in posts)} images); rules: default charter"
    )
    run_once(posts[:200], config)  # warm-up: imports, regex compilation, gettext catalogues
    medians: list[float] = []
    p99s: list[float] = []
    for run in range(1, args.runs + 1):
        timings = sorted(run_once(posts, config))
        median, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
        medians.append(median)
        p99s.append(p99)
        print(
            f"run {run}: median {median:.3f} ms, p95 {percentile(timings, 0.95):.3f} ms, "
            f"p99 {p99:.3f} ms, max {timings[-1] / 1e6:.3f} ms, total {sum(timings) / 1e9:.2f} s"
        )
    if args.runs > 1:
        print(
            f"spread between runs: median {min(medians):.3f}-{max(medians):.3f} ms "
            f"({(max(medians) - min(medians)) / min(medians):.1%}), p99 {min(p99s):.3f}-"
            f"{max(p99s):.3f} ms ({(max(p99s) - min(p99s)) / min(p99s):.1%})"
        )
    met = max(medians) <= GOAL_MEDIAN_MS and max(p99s) <= GOAL_P99_MS
    print(
        f"goal (median <= {GOAL_MEDIAN_MS} ms, p99 <= {GOAL_P99_MS} ms): "
        f"{'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
