"""Worker memory over a long run: RSS of the same worker process(es) across N publications.

    .venv/bin/python -m bench.worker_memory                      # 10,000 publications
    .venv/bin/python -m bench.worker_memory --publications 1000  # about two minutes
    .venv/bin/python -m bench.worker_memory --publications 60 --accounts 4 --chunk 20  # smoke

Goal (publishing issue): worker RSS over 10,000 publications flat, at most 150 MB.

The stack is the other benches' (``bench._common``): a throwaway PostgreSQL and Redis, the
Bluesky PDS and the Mastodon peer, ``--accounts`` accounts (half Bluesky, half Mastodon),
ONE Celery worker process (``--pool threads --concurrency 2`` by default, as
``deploy/run_demo.py`` runs it; ``--pool prefork`` also works) and a beat. The worker is
never recycled: no ``--max-tasks-per-child`` (the report says so and checks that the worker's
pids never changed), so every publication goes through the same long-lived process(es).

Posts are made through the services (create, submit, approve) in chunks of ``--chunk`` and
each chunk is scheduled "as soon as possible" as soon as it is made, so creating the posts
overlaps publishing. A new chunk waits while more than ``--backlog`` publications are not
finished yet: the worker is busy all along, and the backlog never grows into the late-post
policy's territory. The per-account rate budgets and the late-post policy are opened wide
(the campaign's settings): they would pace 10,000 posts on 20 accounts over hours.

A sampler thread reads, every ``--interval`` seconds, the RSS and PSS of every worker
process from /proc (the main process and, with prefork, each pool child), together with the
number of publications published so far (from the database). The baseline is taken once the
worker is ready and idle, before any post exists. Only the publications' rows and the servers
are read: nothing here depends on how the workers send.

Report: baseline, RSS after each ``--step`` publications, max and last RSS, and the slope of
a least-squares line through RSS against publications over the second half of the run (after
warm-up), in MB per 1,000 publications, per process and for the sum. Pass: every worker
process's max RSS ≤ ``--limit-mb`` and its slope < ``--flat-mb`` per 1,000. At the end every
publication's text is counted back on the servers: each exactly once.

Units: "MB" in the report is MiB (/proc's kB / 1024); the verdict also checks the maximum in
decimal MB (``max_rss_decimal_mb``), the stricter reading of the goal.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import linear_regression
from typing import Any

from bench._common import (
    ROOT,
    _proc_table,
    approved_posts,
    connect_accounts,
    create_people,
    load_average,
    log,
    machine,
    remote_texts,
    run_within,
    set_environment,
    start_celery,
    start_servers,
)
from peers.mastodon import MastodonPeer
from peers.pds import BlueskyPeer

MB = 1024.0  # /proc reports kB


@dataclass(frozen=True)
class Options:
    publications: int
    accounts: int
    chunk: int
    backlog: int
    pool: str
    concurrency: int
    interval: float
    step: int
    limit_mb: float
    flat_mb: float
    lookahead: float
    tick: float
    timeout: float
    keep_logs: bool
    worker_env: tuple[tuple[str, str], ...] = ()
    trace: bool = False
    trace_frames: int = 1


def _parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_memory", description=__doc__)
    parser.add_argument("--publications", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--chunk", type=int, default=200, help="posts made, then scheduled")
    parser.add_argument(
        "--backlog", type=int, default=400, help="no new chunk while more are unfinished"
    )
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork", "solo"])
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    parser.add_argument(
        "--step", type=int, default=0, help="table row every N publications (0: 1,000, or N/10)"
    )
    parser.add_argument("--limit-mb", type=float, default=150.0, help="max RSS per process")
    parser.add_argument(
        "--flat-mb", type=float, default=1.0, help="'flat': slope below this, MB per 1,000"
    )
    parser.add_argument("--lookahead", type=float, default=5.0, help="PUBLISH_LOOKAHEAD_SECONDS")
    parser.add_argument("--tick", type=float, default=1.0, help="PUBLISH_TICK_SECONDS")
    parser.add_argument("--timeout", type=float, default=5400.0, help="bound on the whole run")
    parser.add_argument("--keep-logs", action="store_true", help="print the worker logs' path")
    parser.add_argument(
        "--worker-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="experiment: environment of the worker and beat (e.g. MALLOC_ARENA_MAX=2)",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="investigation: tracemalloc in the worker (costs memory and time), snapshots at "
        "the baseline, half-way and the end; report what grew in the second half",
    )
    parser.add_argument(
        "--trace-frames", type=int, default=1, help="frames per traceback with --trace"
    )
    a = parser.parse_args(argv)
    if any("=" not in e for e in a.worker_env):
        parser.error("--worker-env takes KEY=VALUE")
    if a.accounts < 2 or a.publications < 2 or a.chunk < 1:
        parser.error("at least 2 accounts (one per network), 2 publications and chunks of 1")
    step = a.step or (1000 if a.publications >= 5000 else max(1, a.publications // 10))
    return Options(
        publications=a.publications,
        accounts=a.accounts,
        chunk=a.chunk,
        backlog=max(a.backlog, a.chunk),
        pool=a.pool,
        concurrency=a.concurrency,
        interval=a.interval,
        step=step,
        limit_mb=a.limit_mb,
        flat_mb=a.flat_mb,
        lookahead=a.lookahead,
        tick=a.tick,
        timeout=a.timeout,
        keep_logs=a.keep_logs,
        worker_env=tuple((k, v) for k, v in (e.split("=", 1) for e in a.worker_env)),
        trace=a.trace or a.trace_frames > 1,
        trace_frames=a.trace_frames,
    )


# --- the worker's processes and their memory ------------------------------------------------


def _argv(pid: int) -> list[str]:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    return []


def worker_pids() -> tuple[int | None, list[int]]:
    """(main process, pool children) of the worker this process started, from /proc.

    The worker runs under a tether (``python -I -S -c <supervisor> ... -- python -m celery
    -A config worker ...``): the main process is the tether's child, the pool children (prefork)
    are the main process's children.
    """
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    mine = {os.getpid()}
    queue = [os.getpid()]
    while queue:
        for child in children.get(queue.pop(), []):
            mine.add(child)
            queue.append(child)
    for pid in sorted(mine):
        argv = _argv(pid)
        if argv[1:3] == ["-I", "-S"] and " ".join(argv).find("celery -A config worker") >= 0:
            for main in children.get(pid, []):
                return main, sorted(children.get(main, []))
    return None, []


def memory_kb(pid: int) -> tuple[int, int, int] | None:
    """(RSS, PSS, anonymous RSS) in kB, or None if the process is gone. PSS splits the pages
    prefork children share with their parent (copy-on-write), so PSS sums to the memory they
    take together; anonymous RSS (the heap, not the mapped files) is where a leak shows."""
    try:
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        )
        rss, anon = (int(status[k].split()[0]) for k in ("VmRSS", "RssAnon"))
        pss = next(
            (
                int(line.split()[1])
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
                if line.startswith("Pss:")
            ),
            rss,
        )
    except (OSError, KeyError, ValueError):
        return None
    return rss, pss, anon


@dataclass
class Sample:
    t: float  # seconds since the baseline
    published: int
    rss_kb: dict[str, int]  # per process label
    pss_kb: dict[str, int]
    anon_kb: dict[str, int]


@dataclass
class Sampler:
    """Samples the worker's memory and the publications published, from a thread."""

    interval: float
    began: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)  # pid → "main", "child1"...
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    error: BaseException | None = None
    at_half: Any = None  # called once from the thread when half the publications are out
    half: int = 0

    def label(self, pid: int, main: bool) -> str:
        if pid not in self.labels:
            children = sum(1 for v in self.labels.values() if v != "main")
            self.labels[pid] = "main" if main else f"child{children + 1}"
        return self.labels[pid]

    def sample(self) -> Sample:
        from publishing.models import Publication, PublicationState

        main, children = worker_pids()
        rss: dict[str, int] = {}
        pss: dict[str, int] = {}
        anon: dict[str, int] = {}
        for pid in ([main] if main else []) + children:
            memory = memory_kb(pid)
            if memory is not None:
                name = self.label(pid, pid == main)
                rss[name], pss[name], anon[name] = memory
        published = Publication.objects.filter(state=PublicationState.PUBLISHED).count()
        taken = Sample(round(time.monotonic() - self.began, 2), published, rss, pss, anon)
        self.samples.append(taken)
        return taken

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self._stop.wait(self.interval):
                taken = self.sample()
                if self.at_half is not None and self.half and taken.published >= self.half:
                    self.at_half, hook = None, self.at_half
                    hook()
        except BaseException as exc:  # reported by stop()
            self.error = exc
        finally:
            connection.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        if self.error is not None:
            raise self.error


def import_only_rss_mb() -> float:
    """RSS of a bare interpreter that sets Django up and imports the two adapters."""
    code = (
        "import django; django.setup(); "
        "import publishing.adapters.bluesky, publishing.adapters.mastodon; "
        "from pathlib import Path; "
        "print(next(l.split()[1] for l in Path('/proc/self/status').read_text().splitlines() "
        "if l.startswith('VmRSS:')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, check=True, timeout=120
    )
    return round(int(done.stdout.split()[-1]) / MB, 1)


# --- investigation: tracemalloc inside the worker ------------------------------------------

# Put on the worker's PYTHONPATH as sitecustomize.py: in the worker only (not beat), start
# tracemalloc and, on SIGUSR2, dump a snapshot and the live objects' counts by type.
_TRACE_SITE = """
import gc, json, os, signal, tracemalloc
from pathlib import Path

_dir = os.environ.get("BENCH_MEMTRACE_DIR")
_argv = Path("/proc/self/cmdline").read_bytes().split(b"\\0")
if _dir and b"worker" in _argv and b"celery" in _argv:
    tracemalloc.start(int(os.environ.get("BENCH_MEMTRACE_FRAMES", "1")))
    _count = [0]

    def _dump(signum, frame):
        _count[0] += 1
        n = _count[0]
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        snapshot.dump(os.path.join(_dir, f"snapshot{n}.pickle"))
        types = {}
        for obj in gc.get_objects():
            name = type(obj).__qualname__
            types[name] = types.get(name, 0) + 1
        Path(_dir, f"types{n}.json").write_text(json.dumps(types))
        Path(_dir, f"done{n}").touch()

    signal.signal(signal.SIGUSR2, _dump)
"""


class Tracer:
    """Asks the worker for tracemalloc snapshots and compares them."""

    def __init__(self, directory: Path, frames: int = 1) -> None:
        self.directory = directory
        self.frames = frames
        self.taken = 0

    def environment(self) -> dict[str, str]:
        directory = self.directory
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "sitecustomize.py").write_text(_TRACE_SITE)
        path = os.environ.get("PYTHONPATH", "")
        return {
            "BENCH_MEMTRACE_DIR": str(directory),
            "BENCH_MEMTRACE_FRAMES": str(self.frames),
            "PYTHONPATH": f"{directory}{os.pathsep}{path}" if path else str(directory),
        }

    def snapshot(self, pid: int) -> None:
        self.taken += 1
        os.kill(pid, signal.SIGUSR2)
        deadline = time.monotonic() + 120
        while not (self.directory / f"done{self.taken}").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the worker wrote no tracemalloc snapshot")
            time.sleep(0.2)

    def report(self, first: int, last: int, top: int = 15) -> dict[str, Any]:
        """What grew between two snapshots: by source line, and live objects by type."""
        import tracemalloc

        old = tracemalloc.Snapshot.load(str(self.directory / f"snapshot{first}.pickle"))
        new = tracemalloc.Snapshot.load(str(self.directory / f"snapshot{last}.pickle"))
        lines = new.compare_to(old, "lineno" if self.frames == 1 else "traceback")
        types_old = json.loads((self.directory / f"types{first}.json").read_text())
        types_new = json.loads((self.directory / f"types{last}.json").read_text())
        grown = sorted(
            ((k, v - types_old.get(k, 0)) for k, v in types_new.items()),
            key=lambda kv: -kv[1],
        )
        return {
            "traced_mb": [
                round(sum(t.size for t in snap.traces) / MB / MB, 2) for snap in (old, new)
            ],
            "growth_traced_mb": round(sum(d.size_diff for d in lines) / MB / MB, 2),
            "top_lines": [
                {
                    "where": f"{d.traceback[0].filename}:{d.traceback[0].lineno}",
                    "traceback": [f"{f.filename}:{f.lineno}" for f in d.traceback],
                    "size_diff_kb": round(d.size_diff / MB, 1),
                    "count_diff": d.count_diff,
                }
                for d in lines[:top]
            ],
            "objects": [sum(types_old.values()), sum(types_new.values())],
            "top_types": [{"type": k, "count_diff": v} for k, v in grown[:top]],
        }


# --- the run --------------------------------------------------------------------------------


def _text(n: int) -> str:
    return f"[M] Publication n° {n:05d}: le guichet unique ouvre ses portes lundi à 9 h."


def _unfinished(made: int) -> int:
    from publishing.models import Publication, PublicationState

    finished = [PublicationState.PUBLISHED, PublicationState.FAILED]
    return made - Publication.objects.filter(state__in=finished).count()


def _publish_all(o: Options, accounts: list[Any], officer: Any, manager: Any) -> int:
    """Make and schedule the posts chunk by chunk; return once all are finished (or stall)."""
    from editorial import services as editorial

    made = 0
    while made < o.publications:
        while _unfinished(made) > o.backlog - o.chunk:
            time.sleep(0.5)
        texts = [_text(n) for n in range(made, min(made + o.chunk, o.publications))]
        # approved_posts sends post n to account n modulo the accounts: keep the rotation.
        rotated = accounts[made % len(accounts) :] + accounts[: made % len(accounts)]
        for post in approved_posts(texts, rotated, officer, manager):
            editorial.post_schedule(post=post, by=manager)  # as soon as possible
        made += len(texts)
        log(f"{made} posts scheduled, {_unfinished(made)} unfinished")
    left, last_progress = _unfinished(made), time.monotonic()
    while left and time.monotonic() - last_progress < 120:
        time.sleep(1)
        now_left = _unfinished(made)
        if now_left < left:
            left, last_progress = now_left, time.monotonic()
    if left:
        log(f"gave up waiting: {left} of {made} publications unfinished for 120 s")
    return made


def _mb(kb: float) -> float:
    return round(kb / MB, 1)


def _slope_per_1000(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of MB against publications, in MB per 1,000 publications."""
    if len({x for x, _ in points}) < 2:
        return None
    slope, _ = linear_regression([float(x) for x, _ in points], [y for _, y in points])
    return round(slope * 1000, 3)


def _anon(sample: Sample, name: str) -> int:
    return sum(sample.anon_kb.values()) if name == "sum" else sample.anon_kb.get(name, 0)


def analyse(
    o: Options, baseline: Sample, samples: list[Sample], made: int
) -> dict[str, dict[str, Any]]:
    """Per process (and the sum): baseline, by step, max, last, second-half slope."""
    names = sorted({k for s in samples for k in s.rss_kb}, key=lambda k: (k != "main", k))
    series: dict[str, list[tuple[Sample, float, float]]] = {}
    for name in names:
        series[name] = [(s, s.rss_kb[name], s.pss_kb[name]) for s in samples if name in s.rss_kb]
    if len(names) > 1:
        series["sum"] = [
            (s, float(sum(s.rss_kb.values())), float(sum(s.pss_kb.values()))) for s in samples
        ]
    half = made / 2
    report: dict[str, dict[str, Any]] = {}
    for name, points in series.items():
        if not points:
            continue
        if name == "sum":
            base_rss = sum(baseline.rss_kb.values())
            base_pss = sum(baseline.pss_kb.values())
        else:
            base_rss, base_pss = baseline.rss_kb.get(name, 0), baseline.pss_kb.get(name, 0)
        by_step: list[dict[str, Any]] = []
        for target in range(o.step, made + 1, o.step):
            first = next(((s, r, p) for s, r, p in points if s.published >= target), None)
            if first is not None and not (by_step and by_step[-1]["t_s"] == first[0].t):
                s, r, p = first
                by_step.append(
                    {
                        "published": s.published,
                        "t_s": s.t,
                        "rss_mb": _mb(r),
                        "pss_mb": _mb(p),
                        "anon_mb": _mb(_anon(s, name)),
                    }
                )
        late = [(s.published, r / MB) for s, r, _ in points if s.published >= half]
        late_pss = [(s.published, p / MB) for s, _, p in points if s.published >= half]
        anon = [(s, _anon(s, name)) for s, _, _ in points]
        late_anon = [(s.published, a / MB) for s, a in anon if s.published >= half]
        report[name] = {
            "baseline_rss_mb": _mb(base_rss),
            "baseline_pss_mb": _mb(base_pss),
            "by_step": by_step,
            "max_rss_mb": _mb(max(r for _, r, _ in points)),
            "last_rss_mb": _mb(points[-1][1]),
            "last_pss_mb": _mb(points[-1][2]),
            "growth_rss_mb": _mb(points[-1][1] - base_rss),
            "slope_second_half_mb_per_1000": _slope_per_1000(late),
            "slope_second_half_pss_mb_per_1000": _slope_per_1000(late_pss),
            "baseline_anon_mb": _mb(_anon(baseline, name)),
            "last_anon_mb": _mb(anon[-1][1]),
            "slope_second_half_anon_mb_per_1000": _slope_per_1000(late_anon),
            "samples_second_half": len(late),
        }
    return report


def verdict(o: Options, per_process: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Max RSS and flatness per worker process (the sum is reported, not judged)."""
    judged = {k: v for k, v in per_process.items() if k != "sum"}
    under = all(v["max_rss_mb"] <= o.limit_mb for v in judged.values())
    # "MB" everywhere here is MiB (/proc's kB / 1024); the goal may mean 10^6 bytes: the
    # verdict takes the stricter reading.
    max_decimal = max((v["max_rss_mb"] * MB * 1024 / 1e6 for v in judged.values()), default=0.0)
    under_decimal = max_decimal <= o.limit_mb
    slopes = [v["slope_second_half_mb_per_1000"] for v in judged.values()]
    flat = all(s is not None and s < o.flat_mb for s in slopes)
    return {
        "limit_mb": o.limit_mb,
        "flat_threshold_mb_per_1000": o.flat_mb,
        "max_rss_within_limit": under,
        "max_rss_decimal_mb": round(max_decimal, 1),
        "max_rss_within_limit_decimal": under_decimal,
        "flat": flat,
        "passed": bool(judged) and under and under_decimal and flat,
    }


def verify(bluesky: BlueskyPeer, mastodon: MastodonPeer) -> dict[str, Any]:
    """Every publication's text exactly once on its network, and nothing else."""
    from accounts.models import SocialAccount
    from publishing.adapters.mastodon import text_fingerprint
    from publishing.models import Publication

    expected: dict[str, Counter[str]] = {"bluesky": Counter(), "mastodon": Counter()}
    for network, text in Publication.objects.values_list("account__network", "text"):
        key = "bluesky" if network == SocialAccount.Network.BLUESKY else "mastodon"
        expected[key][text] += 1
    found = remote_texts(bluesky, mastodon)
    # Mastodon shows HTML back (paragraphs for the byline's blank line): compare its words.
    expected["mastodon"] = Counter(
        {text_fingerprint(k): v for k, v in expected["mastodon"].items()}
    )
    found["mastodon"] = Counter({text_fingerprint(k): v for k, v in found["mastodon"].items()})
    report: dict[str, Any] = {}
    for network, wanted in expected.items():
        report[network] = {
            "expected": sum(wanted.values()),
            "found": sum(found[network].values()),
            "duplicates": sum(c - 1 for c in found[network].values() if c > 1),
            "missing": sum((wanted - found[network]).values()),
            "unexpected": sum((found[network] - wanted).values()),
        }
    report["exactly_once"] = all(
        v["expected"] == v["found"] and not (v["missing"] or v["unexpected"] or v["duplicates"])
        for v in report.values()
        if isinstance(v, dict)
    )
    return report


def _publications(posts: int) -> dict[str, Any]:
    from publishing.models import Attempt, Publication, PublicationState

    states = Counter(Publication.objects.values_list("state", flat=True))
    return {
        "posts": posts,
        "publications": sum(states.values()),
        "published": states.get(PublicationState.PUBLISHED, 0),
        "failed": states.get(PublicationState.FAILED, 0),
        "other_states": {
            str(k): v
            for k, v in states.items()
            if k not in (PublicationState.PUBLISHED, PublicationState.FAILED)
        },
        "retried": Publication.objects.filter(attempts__gt=1).count(),
        "attempts": Attempt.objects.count(),
    }


def _environment_overrides() -> dict[str, str]:
    """10,000 posts on 20 accounts: open the rate budgets and the late-post policy."""
    return {
        "PUBLISH_RATE_MASTODON": "",
        "PUBLISH_RATE_BLUESKY": "",
        "PUBLISH_LATE_AFTER_MINUTES": "100000",
        "PUBLISH_BACKLOG_GRACE_SECONDS": "100000",
    }


def _start_worker(
    o: Options, tmp: Path, stack: contextlib.ExitStack
) -> tuple[int, list[int], Tracer | None]:
    """One worker (and beat), with the experiment's environment: (main pid, children, tracer)."""
    os.environ.update(dict(o.worker_env))
    tracer = Tracer(tmp / "memtrace", o.trace_frames) if o.trace else None
    if tracer is not None:
        os.environ.update(tracer.environment())
    start_celery(workers=1, pool=o.pool, concurrency=o.concurrency, logs=tmp, stack=stack)
    main_pid, child_pids = worker_pids()
    if main_pid is None:
        raise RuntimeError("no worker process found under this process")
    return main_pid, child_pids, tracer


def _trace_report(tracer: Tracer, main_pid: int) -> dict[str, Any]:
    tracer.snapshot(main_pid)
    trace = {"whole_run": tracer.report(1, tracer.taken)}
    if tracer.taken == 3:
        trace["second_half"] = tracer.report(2, 3)
    return trace


def _sample_rows(names: list[str], samples: list[Sample]) -> dict[str, Any]:
    """Every sample: seconds since the baseline, published, RSS MB per process (and sum)."""
    per_process = [n for n in names if n != "sum"]
    return {
        "sample_columns": ["t_s", "published", *[f"{n}_rss_mb" for n in names]],
        "samples": [
            [s.t, s.published, *[_mb(s.rss_kb.get(n, 0)) for n in per_process]]
            + ([_mb(sum(s.rss_kb.values()))] if "sum" in names else [])
            for s in samples
        ],
    }


def run(o: Options) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="porte-voix-bench-"))
        if not o.keep_logs:
            stack.callback(lambda: subprocess.run(["rm", "-rf", str(tmp)], check=False))
        load_at_start = load_average()
        began = time.monotonic()
        postgres, redis, bluesky, mastodon = start_servers(stack)
        log(f"servers up in {time.monotonic() - began:.1f} s")
        set_environment(postgres, redis, tmp, lookahead=o.lookahead, tick=o.tick)
        os.environ.update(_environment_overrides())
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True, timeout=300
        )
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        import_only = import_only_rss_mb()
        unit, officer, manager = create_people()
        accounts = connect_accounts(o.accounts, unit, bluesky, mastodon)
        main_pid, child_pids, tracer = _start_worker(o, tmp, stack)
        time.sleep(3)  # ready, a few idle ticks: the baseline before any publication
        sampler = Sampler(o.interval)
        baseline = sampler.sample()
        sampler.samples.clear()
        log(f"baseline: {baseline.rss_kb} kB RSS (import only: {import_only} MB)")
        if tracer is not None:
            tracer.snapshot(main_pid)
            sampler.half, sampler.at_half = o.publications // 2, lambda: tracer.snapshot(main_pid)
        sampler.start()
        started = time.monotonic()
        try:
            made = _publish_all(o, accounts, officer, manager)
            time.sleep(2 * o.interval)  # a last sample or two with everything done
        finally:
            sampler.stop()
        duration = time.monotonic() - started
        final = sampler.sample()
        pids_after = worker_pids()
        trace = _trace_report(tracer, main_pid) if tracer is not None else None
        load_at_end = load_average()
        per_process = analyse(o, baseline, sampler.samples, made)
        publications = _publications(made)
        log("counting the posts back on the servers")
        remote = verify(bluesky, mastodon)
        connection.close()
        if o.keep_logs:
            log(f"logs kept in {tmp}")
        return {
            "machine": {
                **machine(),
                "load_average_at_start": load_at_start,
                "load_average_at_end": load_at_end,
            },
            "options": o.__dict__,
            "worker": {
                "processes": 1,
                "pool": o.pool,
                "concurrency": o.concurrency,
                "max_tasks_per_child": getattr(settings, "CELERY_WORKER_MAX_TASKS_PER_CHILD", None),
                "recycled": pids_after != (main_pid, child_pids),
                "pids": {"main": main_pid, "children": child_pids},
            },
            "units": "MB = MiB (1,048,576 bytes: /proc's kB / 1024), except *_decimal_mb",
            "import_only_rss_mb": import_only,
            "worker_env": dict(o.worker_env),
            **({"tracemalloc": trace} if trace is not None else {}),
            "duration_s": round(duration, 1),
            "publications_per_s": round(final.published / duration, 2) if duration else 0.0,
            "publications": publications,
            "remote": remote,
            "rss": per_process,
            "goal": verdict(o, per_process),
            **_sample_rows(list(per_process), sampler.samples),
        }
    raise AssertionError("unreachable")


def _table(results: dict[str, Any]) -> str:
    lines = []
    for name, figures in results["rss"].items():
        steps = ", ".join(f"{r['published']}: {r['rss_mb']}" for r in figures["by_step"])
        lines.append(
            f"{name}: baseline {figures['baseline_rss_mb']} MB, max {figures['max_rss_mb']} MB, "
            f"last {figures['last_rss_mb']} MB, slope (2nd half) "
            f"{figures['slope_second_half_mb_per_1000']} MB/1,000 | by step: {steps}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    o = _parse(argv)

    results = run_within(o.timeout, lambda: run(o))
    print(json.dumps(results, indent=2, default=str))
    log(_table(results))
    goal = results["goal"]
    log(
        f"{results['publications']['published']}/{o.publications} published in "
        f"{results['duration_s']} s; exactly once: {results['remote']['exactly_once']}; "
        f"goal (max ≤ {o.limit_mb:g} MB, slope < {o.flat_mb:g} MB/1,000): "
        f"{'passed' if goal['passed'] else 'NOT met'}"
    )
    complete = results["publications"]["published"] == o.publications
    return 0 if complete and results["remote"]["exactly_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
