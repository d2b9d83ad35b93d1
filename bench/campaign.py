"""The fault campaign, shared by ``test_fault_campaign.py`` (N=200) and
``bench/fault_campaign.py`` (N=2,000).

N scheduled posts, each to one Mastodon and one Bluesky account, published by real Celery
worker processes and a separate beat, through a :class:`~peers.proxy.FaultProxy` in
front of each peer that drops answers after the server accepted, delays, resets, answers 5xx
and 429 with some probability; meanwhile a worker is SIGKILLed mid-publish and restarted, a
worker hangs (SIGSTOP) mid-publish past the stale-claim limit and wakes up, Redis
(persistent) restarts, and beat restarts. Then the posts are counted on the servers,
never in our database: each must be there exactly once on every target account, or its
publication must have ended failed with a "failed" alert for the post.

One post in :data:`GATE_EVERY` carries a Bluesky reply gate, so its Bluesky publication is
the post and its ``app.bsky.feed.threadgate`` created in one ``com.atproto.repo.applyWrites``
commit, and the Bluesky proxy's write faults hit ``applyWrites`` as they hit ``putRecord``.
On the PDS, each gated post must have exactly one threadgate under its own record key,
naming it, and no threadgate may stand without its post or on a post that has no gate.

Django must be set up before :func:`prepare` and what follows (the models are imported
inside the functions: the bench configures Django itself).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import secrets
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from peers import TetheredProcess
from peers.proxy import Fault, FaultProxy

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from peers.mastodon import MastodonPeer
    from peers.pds import BlueskyPeer, BlueskyTestAccount
    from peers.services import RedisServer

ROOT = Path(__file__).resolve().parents[1]
# One marker per remote post: the post's, with "t<part>" for the later parts of a thread.
MARKER = re.compile(r"\bfc[0-9a-f]{6}n\d{5}(?:t\d)?\b")
THREAD_EVERY = 10  # every tenth post is a two-part thread (the second part replies)
# Every third post has a Bluesky reply gate, in turn each of these (editorial's ReplyGate
# values); a gated thread's gate is on its first part only.
GATE_EVERY = 3
GATES = ("nobody", "mentioned", "followers")
MASTODON_WRITE = "/api/v1/statuses"
BLUESKY_WRITE = "/xrpc/com.atproto.repo.putRecord"  # a post without a gate
BLUESKY_COMMIT = "/xrpc/com.atproto.repo.applyWrites"  # a gated post: post + threadgate
BLUESKY_WRITES = (BLUESKY_WRITE, BLUESKY_COMMIT)
POST_COLLECTION = "app.bsky.feed.post"
GATE_COLLECTION = "app.bsky.feed.threadgate"


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


# --- processes -------------------------------------------------------------------------


def _child_pids(pid: int) -> list[int]:
    """The direct children of ``pid`` (the tether's child is the real Celery process)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


class CeleryProcess:
    """One Celery process (a worker or beat) under a tether, that can be killed and started
    again. ``ready`` is the log line that says it is up (empty: do not wait)."""

    def __init__(
        self, name: str, argv: list[str], env: Mapping[str, str], log: Path, ready: str
    ) -> None:
        self.name, self.argv, self.env, self.log, self.ready = name, argv, dict(env), log, ready
        self._proc: TetheredProcess | None = None
        self.starts = 0

    def start(self, timeout: float = 90.0) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        self._proc = TetheredProcess(self.argv, log_path=self.log, env=self.env, cwd=ROOT)
        self._proc.start()
        self.starts += 1
        deadline = time.monotonic() + timeout
        while self.ready:
            with self.log.open("rb") as fh:
                fh.seek(offset)
                if self.ready.encode() in fh.read():
                    return
            if not self._proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.tail()}")
            time.sleep(0.2)

    def alive(self) -> bool:
        return self._proc is not None and self._proc.alive()

    def kill(self) -> None:
        """SIGKILL the Celery process itself: no warm shutdown, no message given back."""
        proc, self._proc = self._proc, None
        if proc is None or proc.pid is None:
            return
        for pid in _child_pids(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.stop()  # the tether has nothing left to stop; this reaps it

    def signal(self, signum: signal.Signals) -> None:
        if self._proc is not None and self._proc.pid is not None:
            for pid in _child_pids(self._proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signum)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            self.signal(signal.SIGCONT)  # a stopped process cannot shut down
            proc.stop()

    def tail(self, limit: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-limit:]
        return ""


def worker_env(*, database_url: str, redis_url: str) -> dict[str, str]:
    """The workers' settings: short stale-claim limits and retries so that the campaign ends
    in minutes, and no late-post hold, backlog pacing or rate budget (they would delay
    publications on purpose, which is not what is measured here). DATA_DIR, hence the key
    that decrypts the stored credentials, stays the caller's."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "PUBLISH_ALLOW_HTTP": "true",
        "PUBLISH_TICK_SECONDS": "0.5",
        "PUBLISH_REQUEST_TIMEOUT": "4",
        "PUBLISH_RETRY_BASE_SECONDS": "2",
        "PUBLISH_QUEUE_STALE_SECONDS": "15",
        "PUBLISH_SENDING_STALE_SECONDS": "20",
        "PUBLISH_LATE_AFTER_MINUTES": "100000",
        "PUBLISH_BACKLOG_GRACE_SECONDS": "100000",
        "PUBLISH_RATE_MASTODON": "",
        "PUBLISH_RATE_BLUESKY": "",
        "LOG_LEVEL": "INFO",
    }


def celery_processes(
    env: Mapping[str, str], workdir: Path, *, workers: int, concurrency: int
) -> tuple[list[CeleryProcess], CeleryProcess]:
    python = sys.executable
    made = []
    for n in range(workers):
        argv = [python, "-m", "celery", "-A", "config", "worker", "-n", f"campaign{n}@%h"]
        argv += ["--pool", "threads", "--concurrency", str(concurrency), "-l", "info"]
        made.append(CeleryProcess(f"worker{n}", argv, env, workdir / f"worker{n}.log", "ready."))
    beat_argv = [python, "-m", "celery", "-A", "config", "beat", "-l", "info"]
    beat_argv += ["-s", str(workdir / "celerybeat-schedule")]
    beat = CeleryProcess("beat", beat_argv, env, workdir / "beat.log", "beat: Starting")
    return made, beat


# --- proxies and faults ----------------------------------------------------------------


def network_faults(
    proxy: FaultProxy, *, flavour: str, write_paths: Sequence[str], p: float
) -> None:
    """Faults on every write (each of ``write_paths``) with a total probability of about
    ``p``, and some on the rest.

    The write faults that matter most are those where the server may have acted: the answer
    dropped after the server accepted, a delay past the client's timeout (the request still
    arrives), a 5xx. A 429 and a reset before forwarding are refusals the client must retry.
    """
    share = p / 6
    post = {"POST"}
    for path in write_paths:
        proxy.add_rule(Fault.dropped(), probability=share * 2, methods=post, path=path)
        proxy.add_rule(Fault.delay(6.0), probability=share / 2, methods=post, path=path)
        proxy.add_rule(Fault.delay(1.0), probability=share / 2, methods=post, path=path)
        proxy.add_rule(Fault.reset(), probability=share, methods=post, path=path)
        proxy.add_rule(Fault.error(503), probability=share / 2, methods=post, path=path)
        proxy.add_rule(Fault.error(502), probability=share / 2, methods=post, path=path)
        proxy.add_rule(
            Fault.rate_limited(flavour, reset_in=3), probability=share, methods=post, path=path
        )
    # Reads and the rest (lookups, sessions): rarer, any kind of refusal.
    proxy.add_rule(Fault.error(503), probability=p / 10)
    proxy.add_rule(Fault.reset(), probability=p / 20)


# --- the organisation and the posts ----------------------------------------------------


@dataclass
class Setup:
    officer: Any
    manager: Any
    mastodon_accounts: list[Any]
    bluesky_accounts: list[Any]
    tokens: dict[int, str]  # Mastodon account pk -> token
    dids: dict[int, str]  # Bluesky account pk -> DID
    posts: list[Any] = field(default_factory=list)
    markers: dict[int, str] = field(default_factory=dict)  # post pk -> marker
    gates: dict[int, str] = field(default_factory=dict)  # post pk -> reply gate, if any

    def marker_of(self, publication: Any) -> str:
        marker = self.markers[publication.post_id]
        return f"{marker}t{publication.part}" if publication.part else marker


def prepare(
    *,
    posts: int,
    accounts_per_network: int,
    mastodon_peer: MastodonPeer,
    mastodon_proxy: FaultProxy,
    bluesky_peer: BlueskyPeer,
    mastodon_scopes: Sequence[str] | None = None,
) -> Setup:
    """Organisation, accounts (pointing at the proxies) and approved posts, through the
    services. Each post goes to one Mastodon and one Bluesky account, with a unique marker;
    one in :data:`THREAD_EVERY` is a thread whose second part must reply to the first; one
    in :data:`GATE_EVERY` has a Bluesky reply gate (:data:`GATES` in turn).
    ``mastodon_scopes``: the scopes of the Mastodon tokens (the peer's default otherwise)."""
    from accounts.models import Membership, OrgUnit, SocialAccount, User
    from accounts.services import membership_create, social_account_create
    from editorial import services as editorial
    from editorial.networks import NetworkOptions

    unit = OrgUnit.objects.create(
        name="Service communication", code="sicom", kind=OrgUnit.Kind.SERVICE
    )
    officer = User.objects.create_user("officer", first_name="Jeanne", last_name="Dupont")
    manager = User.objects.create_user("manager", first_name="Marc", last_name="Leroy")
    membership_create(user=officer, unit=unit, role=Membership.Role.AUTHOR)
    membership_create(user=manager, unit=unit, role=Membership.Role.REVIEWER)
    membership_create(user=manager, unit=unit, role=Membership.Role.PUBLISHER)
    setup = Setup(officer, manager, [], [], {}, {})
    for n in range(accounts_per_network):
        token = mastodon_peer.create_token(f"campaign{n}", scopes=mastodon_scopes)
        account = social_account_create(
            network=SocialAccount.Network.MASTODON,
            server_url=mastodon_proxy.url,
            handle=f"campaign{n}",
            unit=unit,
            credentials={"secret": token},
        )
        setup.mastodon_accounts.append(account)
        setup.tokens[account.pk] = token
        bsky: BlueskyTestAccount = bluesky_peer.create_account(f"campaign{n}")
        account = social_account_create(
            network=SocialAccount.Network.BLUESKY,
            server_url=bluesky_peer.url,  # the proxy holds the PDS's public port
            handle=bsky.handle,
            unit=unit,
            credentials={"secret": bsky.app_password},
        )
        setup.bluesky_accounts.append(account)
        setup.dids[account.pk] = bsky.did
    run = secrets.token_hex(3)
    started = time.monotonic()
    for n in range(posts):
        marker = f"fc{run}n{n:05d}"
        k = n % accounts_per_network
        gate = GATES[n // GATE_EVERY % len(GATES)] if n % GATE_EVERY == 0 else ""
        post = editorial.post_create(
            by=officer,
            accounts=[setup.mastodon_accounts[k], setup.bluesky_accounts[k]],
            text=f"Campagne de pannes, message {marker}: le guichet unique ouvre lundi.",
            language="fr",
            thread=(
                [f"Suite du fil {marker}t1: horaires affichés en mairie."]
                if n % THREAD_EVERY == THREAD_EVERY - 1
                else []
            ),
            network=NetworkOptions(reply_gate=gate),
        )
        report = editorial.post_submit(post=post, by=officer)
        if not report.ok:
            raise AssertionError(f"the charter refused the campaign's text: {report}")
        editorial.post_approve(post=post, by=manager)
        setup.posts.append(post)
        setup.markers[post.pk] = marker
        if gate:
            setup.gates[post.pk] = gate
    _log(f"{posts} posts approved in {time.monotonic() - started:.1f} s")
    return setup


def schedule(setup: Setup, *, window: float, seed: int) -> datetime:
    """Every post at a random moment of the window; the window opens once all are scheduled."""
    from django.utils import timezone

    from editorial import services as editorial

    rng = random.Random(seed)
    offsets = sorted(rng.uniform(0, window) for _ in setup.posts)
    t0 = timezone.now() + timedelta(seconds=3 + 0.03 * len(setup.posts))
    for post, offset in zip(setup.posts, offsets, strict=True):
        editorial.post_schedule(post=post, by=setup.manager, at=t0 + timedelta(seconds=offset))
    return t0


# --- process faults --------------------------------------------------------------------


def _sending_count() -> int:
    from publishing.models import Publication, PublicationState

    return Publication.objects.filter(state=PublicationState.SENDING).count()


def _while_sending(proxies: list[FaultProxy], act: Callable[[], None]) -> int:
    """Run ``act`` while the workers are sending; returns how many sends were in flight.

    Writes are slowed (1.5 s, the next few of each proxy) so that sends are surely in flight:
    the proxy still delivers them whatever happens to the worker, and the server writes them.
    """
    mastodon, bluesky = proxies
    rules = [
        (p, p.add_rule(Fault.delay(1.5), count=4, methods={"POST"}, path=path))
        for p, path in [(mastodon, MASTODON_WRITE)] + [(bluesky, w) for w in BLUESKY_WRITES]
    ]
    deadline = time.monotonic() + 20
    in_flight = 0
    while time.monotonic() < deadline:
        in_flight = _sending_count()
        if in_flight:
            break
        time.sleep(0.05)
    time.sleep(0.3)  # inside the slowed requests
    in_flight = max(in_flight, _sending_count())
    act()
    for proxy, rule in rules:
        proxy.remove_rule(rule)
    return in_flight


def kill_worker_mid_publish(
    worker: CeleryProcess, proxies: list[FaultProxy], faults: Counter[str]
) -> None:
    """SIGKILL the worker while it is sending, then start it again."""
    in_flight = _while_sending(proxies, worker.kill)
    faults["worker_sigkill"] += 1
    faults["sends_in_flight_at_sigkill"] += in_flight
    _log(f"worker SIGKILLed with {in_flight} publications sending")
    time.sleep(1.0)
    worker.start()


def hang_worker_mid_publish(
    worker: CeleryProcess, proxies: list[FaultProxy], faults: Counter[str], *, seconds: float
) -> None:
    """SIGSTOP the worker while it is sending, past the stale-claim limit, then SIGCONT.

    A paused VM or a stuck process: the tick reclaims its claims as if it had died and they
    are sent again (by another worker if there is one), then the sleeper wakes up and
    finishes its old sends. Nothing may be posted twice, and its late results must not undo
    the newer ones.
    """
    in_flight = _while_sending(proxies, lambda: worker.signal(signal.SIGSTOP))
    faults["worker_sigstop"] += 1
    faults["sends_in_flight_at_sigstop"] += in_flight
    _log(f"worker SIGSTOPped with {in_flight} publications sending, for {seconds:g} s")
    time.sleep(seconds)
    worker.signal(signal.SIGCONT)


def restart_redis(redis: RedisServer, faults: Counter[str]) -> None:
    redis.restart()
    faults["redis_restart"] += 1
    _log("Redis restarted")


def restart_beat(beat: CeleryProcess, faults: Counter[str]) -> None:
    beat.kill()
    time.sleep(1.0)
    beat.start()
    faults["beat_restart"] += 1
    _log("beat killed and restarted")


# --- waiting and counting --------------------------------------------------------------


def wait_until_all_tried(setup: Setup, *, timeout: float, on_wait: Callable[[], None]) -> None:
    from publishing.models import Publication, PublicationState

    done = [PublicationState.PUBLISHED, PublicationState.FAILED]
    untried = Publication.objects.filter(post__in=setup.posts, attempts=0).exclude(state__in=done)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (
        untried.exists() or Publication.objects.filter(post__in=setup.posts).count() == 0
    ):
        on_wait()
        time.sleep(0.5)


def wait_until_settled(setup: Setup, *, timeout: float, on_wait: Callable[[], None]) -> bool:
    """Until every post has ended (published or failed: its outcome and alert recorded)."""
    from editorial.models import Post, PostState

    deadline = time.monotonic() + timeout
    pks = [p.pk for p in setup.posts]
    while time.monotonic() < deadline:
        open_posts = Post.objects.filter(pk__in=pks).exclude(
            state__in=[PostState.PUBLISHED, PostState.FAILED]
        )
        if not open_posts.exists():
            return True
        on_wait()
        time.sleep(1.0)
    return False


Remote = dict[str, list[tuple[str, str]]]  # marker -> [(post id, id of the post it replies to)]


def _mastodon_markers(url: str, token: str) -> Remote:
    from mastodon import Mastodon

    from publishing.adapters.mastodon import text_of_html

    api = Mastodon(access_token=token, api_base_url=url, request_timeout=30)
    me = api.account_verify_credentials()
    statuses = api.fetch_remaining(api.account_statuses(me["id"], limit=40))
    found: Remote = {}
    for status in statuses:
        for marker in MARKER.findall(text_of_html(status["content"] or "")):
            parent = str(status["in_reply_to_id"] or "")
            found.setdefault(marker, []).append((str(status["id"]), parent))
    return found


def _list_records(url: str, did: str, collection: str) -> list[dict[str, Any]]:
    """Every record of one collection of the repository (``com.atproto.repo.listRecords``)."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"repo": did, "collection": collection, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = httpx.get(f"{url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=30)
        page.raise_for_status()
        records = page.json()["records"]
        found.extend(records)
        cursor = page.json().get("cursor")
        if not cursor or not records:
            return found


def _bluesky_markers(url: str, did: str) -> Remote:
    found: Remote = {}
    for record in _list_records(url, did, POST_COLLECTION):
        value = record["value"]
        parent = str(value.get("reply", {}).get("parent", {}).get("uri", ""))
        for marker in MARKER.findall(str(value.get("text", ""))):
            found.setdefault(marker, []).append((str(record["uri"]), parent))
    return found


def _rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def _bluesky_gates(url: str, did: str) -> dict[str, dict[str, Any]]:
    """The repository's threadgates by record key (a key holds one record per collection)."""
    return {
        _rkey(str(record["uri"])): record["value"]
        for record in _list_records(url, did, GATE_COLLECTION)
    }


def _gate_check(
    setup: Setup,
    publications: Sequence[Any],
    remote: Mapping[int, Remote],
    gates: Mapping[int, Mapping[str, Mapping[str, Any]]],
) -> tuple[int, list[str]]:
    """Gated posts on the PDS: how many gated publications are published with their post
    once and its one threadgate in place, and every way the gates are wrong.

    A threadgate shares its post's record key, names the post's at:// URI and allows what
    the post's reply gate says; none stands alone or on a post without a gate (a thread's
    later part included); no gated post on the server lacks its gate, even a failed one.
    """
    from publishing.adapters.bluesky.options import THREADGATE_RULES
    from publishing.models import PublicationState

    problems: list[str] = []
    wrong: set[tuple[int, str]] = set()  # (account, rkey) of threadgates found wrong
    post_of = {marker: pk for pk, marker in setup.markers.items()}
    # (account, rkey) -> the reply gate its post should carry ("" for none)
    expected: dict[tuple[int, str], str] = {}
    for account in setup.bluesky_accounts:
        for marker, posts in remote[account.pk].items():
            _base, later_part, _part = marker.partition("t")
            pk = post_of.get(marker)
            gate = "" if later_part or pk is None else setup.gates.get(pk, "")
            for uri, _parent in posts:
                expected[account.pk, _rkey(uri)] = gate
        did = setup.dids[account.pk]
        for rkey, value in gates[account.pk].items():
            where = f"account {account.pk}: threadgate {rkey}"
            found = len(problems)
            if (account.pk, rkey) not in expected:
                problems.append(f"{where} without its post")
                continue
            gate = expected[account.pk, rkey]
            if not gate:
                problems.append(f"{where} on a post that has no reply gate")
            elif value.get("allow") != THREADGATE_RULES[gate]:
                problems.append(f"{where} allows {value.get('allow')!r}, not {gate!r}")
            if value.get("post") != f"at://{did}/{POST_COLLECTION}/{rkey}":
                problems.append(f"{where} names {value.get('post')!r}")
            if len(problems) > found:
                wrong.add((account.pk, rkey))
    complete = 0
    bluesky = {account.pk for account in setup.bluesky_accounts}
    for pub in publications:
        if pub.account_id not in bluesky or pub.part or pub.post_id not in setup.gates:
            continue
        marker = setup.marker_of(pub)
        posts = remote[pub.account_id].get(marker, [])
        rkeys = {_rkey(uri) for uri, _parent in posts}
        stored = str((pub.payload or {}).get("rkey", ""))
        if stored and rkeys - {stored}:
            problems.append(f"{pub.account}: {marker} under {sorted(rkeys)}, stored {stored}")
        missing = sorted(rkey for rkey in rkeys if rkey not in gates[pub.account_id])
        if missing:
            problems.append(f"{pub.account}: {marker} ({pub.state}) without its threadgate")
        elif len(posts) == 1 and pub.state == PublicationState.PUBLISHED:
            complete += (pub.account_id, _rkey(posts[0][0])) not in wrong
    return complete, problems


@dataclass
class Verdict:
    posts: int
    publications: int
    published: int  # publications published and found exactly once on their server
    failed_with_alert: int  # publications failed, with a "failed" alert for the post
    failed_but_on_server: int  # failed (alerted) though the server has the post once
    duplicates: list[str]  # "account: marker xN"
    lost: list[str]  # neither on the server once nor failed with an alert
    strays: list[str]  # a marker on an account the post was not for
    broken_threads: list[str]  # a later part that does not reply to the part before it
    attempts: int
    unknown_outcomes: int
    found_by_lookup: int
    states: dict[str, int]
    gated_publications: int  # Bluesky publications of gated posts (first parts)
    gated_complete: int  # published, the post once on the PDS with its one threadgate
    gated_failed_with_alert: int
    gated_unknown_outcomes: int  # their attempts whose outcome was unknown
    gated_found_by_lookup: int
    threadgates: int  # threadgate records on the PDS, all accounts
    gate_problems: list[str]  # see _gate_check

    def as_dict(self) -> dict[str, Any]:
        return {
            "posts": self.posts,
            "publications": self.publications,
            "published_once_on_server": self.published,
            "failed_with_alert": self.failed_with_alert,
            "failed_but_on_server_once": self.failed_but_on_server,
            "duplicates": len(self.duplicates),
            "lost": len(self.lost),
            "strays": len(self.strays),
            "broken_threads": len(self.broken_threads),
            "attempts": self.attempts,
            "unknown_outcome_attempts": self.unknown_outcomes,
            "found_by_lookup": self.found_by_lookup,
            "publication_states": self.states,
            "gated": {
                "publications": self.gated_publications,
                "published_with_their_threadgate": self.gated_complete,
                "failed_with_alert": self.gated_failed_with_alert,
                "threadgates_on_server": self.threadgates,
                "unknown_outcome_attempts": self.gated_unknown_outcomes,
                "found_by_lookup": self.gated_found_by_lookup,
                "problems": len(self.gate_problems),
            },
            "duplicate_examples": self.duplicates[:10],
            "lost_examples": self.lost[:10],
            "gate_problem_examples": self.gate_problems[:10],
        }


def count_on_servers(setup: Setup, *, mastodon_direct_url: str, bluesky_direct_url: str) -> Verdict:
    """Read every account back from the servers themselves (not through the proxies) and
    match remote posts to ours by their markers."""
    from editorial.models import Notification
    from publishing.models import Attempt, Publication, PublicationState

    remote: dict[int, Remote] = {}
    gates: dict[int, dict[str, dict[str, Any]]] = {}
    for account in setup.mastodon_accounts:
        remote[account.pk] = _mastodon_markers(mastodon_direct_url, setup.tokens[account.pk])
    for account in setup.bluesky_accounts:
        remote[account.pk] = _bluesky_markers(bluesky_direct_url, setup.dids[account.pk])
        gates[account.pk] = _bluesky_gates(bluesky_direct_url, setup.dids[account.pk])

    alerted = set(
        Notification.objects.filter(
            post__in=setup.posts, kind=Notification.Kind.FAILED
        ).values_list("post_id", flat=True)
    )
    publications = list(Publication.objects.filter(post__in=setup.posts).select_related("account"))
    wanted = {(p.account_id, setup.marker_of(p)) for p in publications}
    duplicates, lost, strays, broken_threads = [], [], [], []
    for account_id, found in remote.items():
        for marker, posts in found.items():
            if len(posts) > 1:
                duplicates.append(f"account {account_id}: {marker} x{len(posts)}")
            if (account_id, marker) not in wanted:
                strays.append(f"account {account_id}: {marker}")
            base, is_later_part, part = marker.partition("t")
            if is_later_part and posts:
                # A later part must reply to the remote post of the part before it.
                previous = base if int(part) == 1 else f"{base}t{int(part) - 1}"
                before = found.get(previous, [])
                if len(before) != 1 or posts[0][1] != before[0][0]:
                    broken_threads.append(f"account {account_id}: {marker}")
    published = failed_alerted = failed_present = 0
    for pub in publications:
        marker = setup.marker_of(pub)
        times = len(remote[pub.account_id].get(marker, []))
        if pub.state == PublicationState.FAILED and pub.post_id in alerted:
            failed_alerted += 1
            failed_present += times == 1
        elif pub.state == PublicationState.PUBLISHED and times == 1:
            published += 1
        elif times != 1 or pub.state != PublicationState.PUBLISHED:
            lost.append(f"{pub.account}: {marker} ({pub.state}, {times} on server)")
    outcomes = Counter(
        Attempt.objects.filter(publication__in=publications).values_list("outcome", flat=True)
    )
    bluesky = {account.pk for account in setup.bluesky_accounts}
    gated = [
        p
        for p in publications
        if p.account_id in bluesky and not p.part and p.post_id in setup.gates
    ]
    gated_complete, gate_problems = _gate_check(setup, publications, remote, gates)
    gated_attempts = Attempt.objects.filter(publication__in=gated)
    return Verdict(
        posts=len(setup.posts),
        publications=len(publications),
        published=published,
        failed_with_alert=failed_alerted,
        failed_but_on_server=failed_present,
        duplicates=duplicates,
        lost=lost,
        strays=strays,
        broken_threads=broken_threads,
        attempts=sum(outcomes.values()),
        unknown_outcomes=outcomes[Attempt.Outcome.UNKNOWN],
        found_by_lookup=Attempt.objects.filter(
            publication__in=publications, found_by_lookup=True
        ).count(),
        states=dict(Counter(p.state for p in publications)),
        gated_publications=len(gated),
        gated_complete=gated_complete,
        gated_failed_with_alert=sum(
            p.state == PublicationState.FAILED and p.post_id in alerted for p in gated
        ),
        gated_unknown_outcomes=gated_attempts.filter(outcome=Attempt.Outcome.UNKNOWN).count(),
        gated_found_by_lookup=gated_attempts.filter(found_by_lookup=True).count(),
        threadgates=sum(len(g) for g in gates.values()),
        gate_problems=gate_problems,
    )


# --- the whole run ---------------------------------------------------------------------


@dataclass
class Peers:
    mastodon: MastodonPeer
    mastodon_proxy: FaultProxy
    bluesky: BlueskyPeer  # listening behind bluesky_proxy
    bluesky_proxy: FaultProxy
    redis: RedisServer


def run_campaign(
    peers: Peers,
    *,
    database_url: str,
    workdir: Path,
    posts: int,
    accounts_per_network: int,
    window: float,
    fault_probability: float,
    workers: int,
    concurrency: int,
    settle_timeout: float,
    seed: int = 5,
    mastodon_scopes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Prepare, start the Celery processes, schedule, inject faults, wait, count.

    With a Mastodon proxy that strips ``Idempotency-Key`` (and the peer checking scopes,
    ``mastodon_scopes`` being what Porte-voix asks for), exactly once on Mastodon rests on
    the lookup alone, as on GoToSocial."""
    began = time.monotonic()
    proxies = [peers.mastodon_proxy, peers.bluesky_proxy]
    setup = prepare(
        posts=posts,
        accounts_per_network=accounts_per_network,
        mastodon_peer=peers.mastodon,
        mastodon_proxy=peers.mastodon_proxy,
        bluesky_peer=peers.bluesky,
        mastodon_scopes=mastodon_scopes,
    )
    env = worker_env(database_url=database_url, redis_url=peers.redis.url)
    worker_list, beat = celery_processes(env, workdir, workers=workers, concurrency=concurrency)
    faults: Counter[str] = Counter()
    exits: list[str] = []
    try:
        for process in (*worker_list, beat):
            process.start()

        def check_alive() -> None:
            # A process that exits on its own is started again, as its supervisor (systemd,
            # compose) would, and counted: the posts must survive that too.
            for process in (*worker_list, beat):
                if not process.alive():
                    exits.append(f"{process.name}: {process.tail(1500)}")
                    faults[f"{process.name}_exited_and_restarted"] += 1
                    _log(f"{process.name} exited on its own; starting it again")
                    process.start()

        t0 = schedule(setup, window=window, seed=seed)
        from django.utils import timezone

        network_faults(
            peers.mastodon_proxy,
            flavour="mastodon",
            write_paths=[MASTODON_WRITE],
            p=fault_probability,
        )
        network_faults(
            peers.bluesky_proxy,
            flavour="bluesky",
            write_paths=BLUESKY_WRITES,
            p=fault_probability,
        )
        _log(f"scheduled; window of {window:g} s opens in {(t0 - timezone.now()).seconds} s")

        def at(fraction: float) -> None:
            moment = t0 + timedelta(seconds=window * fraction)
            while (left := (moment - timezone.now()).total_seconds()) > 0:
                check_alive()
                time.sleep(min(left, 1.0))

        at(0.2)
        kill_worker_mid_publish(worker_list[0], proxies, faults)
        at(0.35)
        stale = float(env["PUBLISH_SENDING_STALE_SECONDS"])
        hang_worker_mid_publish(worker_list[-1], proxies, faults, seconds=stale + 5)
        at(0.5)
        restart_redis(peers.redis, faults)
        at(0.7)
        restart_beat(beat, faults)
        at(1.0)
        window_closed = time.monotonic()

        # Faults go on until every publication has been tried at least once (a hung or
        # killed worker leaves a backlog past the window) and a little longer, so its retries
        # see some too; then they stop so that the run ends: what is measured is the
        # outcome, not endless bad luck.
        wait_until_all_tried(setup, timeout=settle_timeout, on_wait=check_alive)
        settled = wait_until_settled(setup, timeout=10, on_wait=check_alive)
        for proxy in proxies:
            proxy.clear()
        settled = settled or wait_until_settled(setup, timeout=settle_timeout, on_wait=check_alive)
        settle_seconds = time.monotonic() - window_closed
    finally:
        for process in (beat, *worker_list):
            process.stop()
    for proxy, name in ((peers.mastodon_proxy, "mastodon"), (peers.bluesky_proxy, "bluesky")):
        for kind, times in proxy.injected.items():
            faults[f"{name}_{kind}"] += times
        faults[f"{name}_requests_through_proxy"] = proxy.requests
        for header, times in proxy.stripped.items():
            faults[f"{name}_{header}_stripped"] = times
    # What hit the gated posts' one-commit write (the process faults' slowing included).
    for (path, kind), times in peers.bluesky_proxy.injected_at.items():
        if path == BLUESKY_COMMIT:
            faults[f"bluesky_applyWrites_{kind}"] += times
    faults["bluesky_applyWrites_requests"] = peers.bluesky_proxy.requests_at[BLUESKY_COMMIT]
    verdict = count_on_servers(
        setup,
        mastodon_direct_url=peers.mastodon.url,
        bluesky_direct_url=peers.bluesky.direct_url,
    )
    result = {
        "settled": settled,
        **verdict.as_dict(),
        "faults": dict(sorted(faults.items())),
        "timings_s": {
            "window": window,
            "settled_after_last_due": round(settle_seconds, 1),
            "total": round(time.monotonic() - began, 1),
        },
        "worker_logs": [str(w.log) for w in worker_list],
        "process_exits": exits,
    }
    result["_verdict"] = verdict
    return result
