"""Server time of submit / approve / schedule while the mail server is slow (issue #12: p95 <=
150 ms each).

    .venv/bin/python -m peers.services run -- .venv/bin/python -m bench.requests_bench
    .venv/bin/python -m bench.requests_bench --iterations 5 --smtp-delay 0.1   # quick, SQLite

A local SMTP server on loopback answers every command (greeting, EHLO, MAIL, RCPT, DATA...)
after ``--smtp-delay`` seconds (2 s by default: one e-mail is about 14 s of the server's time),
and ``EMAIL_*`` point at it. For each of ``--iterations`` posts, an officer's draft is
submitted by the officer, then approved and scheduled "now" by the manager, through the real
views and Django's whole stack (``django.test.Client``: middleware, session, permissions,
services, notifications, the e-mail task queued on commit). Each request is timed around the
call, in process: the server's time, without the network. No worker runs: the e-mails wait
in the broker, and the SMTP server must see no connection during the requests.

Runs on the database and broker the environment gives: PostgreSQL and Redis through
``peers.services`` (as production), else SQLite and the default broker in a throwaway
DATA_DIR. Prints a JSON report on stdout; exits 1 when an action's p95 exceeds ``--max-p95-ms``.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from peers.smtp import SmtpServer  # noqa: E402

GOAL_P95_MS = 150.0
ACTIONS = ("submit", "approve", "schedule")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


def _configure(smtp: SmtpServer) -> None:
    """The environment read by config.settings: set before Django starts."""
    for name in [n for n in os.environ if n.startswith("EMAIL_")]:
        del os.environ[name]
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "EMAIL_USE_TLS": "false",
            # Above the server's delay: the one e-mail sent at the end must go through.
            "EMAIL_TIMEOUT": str(max(10, int(smtp.delay * 3) + 1)),
            "EMAIL_SENDING_STALE_SECONDS": str(max(300, int(smtp.delay * 30))),
        }
    )
    if not os.environ.get("DATABASE_URL"):
        # Never the checkout's data/: the SQLite file and the broker's folder are thrown away.
        data_dir = tempfile.mkdtemp(prefix="porte-voix-requests-bench-")
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
        os.environ["DATA_DIR"] = data_dir


def _people() -> tuple[Any, Any, Any]:
    from accounts.models import Membership
    from accounts.services import membership_create
    from bench.people import make_account, make_unit, make_user

    stamp = time.time_ns()
    unit = make_unit(name="Service communication", code=f"sc{stamp % 10**8}")
    officer = make_user(username=f"officer-{stamp}")
    manager = make_user(username=f"manager-{stamp}")
    membership_create(user=officer, unit=unit, role=Membership.Role.AUTHOR)
    membership_create(user=manager, unit=unit, role=Membership.Role.REVIEWER)
    membership_create(user=manager, unit=unit, role=Membership.Role.PUBLISHER)
    return officer, manager, make_account(unit, "mastodon")


def _percentile(sorted_ms: list[float], fraction: float) -> float:
    """Nearest rank."""
    rank = max(0, min(len(sorted_ms) - 1, round(fraction * len(sorted_ms)) - 1))
    return sorted_ms[rank]


def _one_post(
    clients: dict[str, Any], officer: Any, account: Any, n: int
) -> dict[str, tuple[float, float]]:
    """One draft through submit, approve, schedule; each request's wall and CPU time in ms
    (CPU: this process only, not the database's; the gap is mostly waiting for a core)."""
    from django.urls import reverse

    from editorial import services

    post = services.post_create(
        by=officer,
        accounts=[account],
        text=f"Le guichet unique ouvre lundi de 9 h à 17 h (avis n° {n}).",
    )
    assert post.current_revision is not None
    steps: tuple[tuple[str, Any, dict[str, str]], ...] = (
        ("submit", clients["officer"], {}),
        # An approval names the revision the reviewer read (refused without it).
        ("approve", clients["manager"], {"revision": str(post.current_revision.number)}),
        ("schedule", clients["manager"], {"now": "1"}),
    )
    times: dict[str, tuple[float, float]] = {}
    for action, client, data in steps:
        url = reverse(f"editorial:{action}", args=[post.pk])
        started, cpu = time.perf_counter_ns(), time.process_time_ns()
        response = client.post(url, data)
        times[action] = (
            (time.perf_counter_ns() - started) / 1e6,
            (time.process_time_ns() - cpu) / 1e6,
        )
        if response.status_code != 302:
            raise SystemExit(f"{action} answered {response.status_code}")
    post.refresh_from_db()
    if post.state != "scheduled":
        raise SystemExit(f"post {post.pk} ended {post.state}, not scheduled")
    return times


def _second_factor_verified(client: Any, user: Any) -> None:
    """A reviewer must confirm their login with a second factor: give them a device and mark
    the session verified with it, as django_otp.login does after a right code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--smtp-delay", type=float, default=2.0)
    parser.add_argument("--max-p95-ms", type=float, default=GOAL_P95_MS)
    parser.add_argument(
        "--no-send", action="store_true", help="skip timing one e-mail sent by the task"
    )
    args = parser.parse_args()

    with SmtpServer(delay=args.smtp_delay) as smtp:
        _configure(smtp)
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client
        from django.test.utils import setup_test_environment

        from editorial import email_delivery
        from editorial.models import Notification

        setup_test_environment()  # ALLOWED_HOSTS for the test client; mail stays on SMTP
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        call_command("migrate", verbosity=0)
        officer, manager, account = _people()
        clients = {"officer": Client(), "manager": Client()}
        clients["officer"].force_login(officer)
        clients["manager"].force_login(manager)
        _second_factor_verified(clients["manager"], manager)
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        broker = str(settings.CELERY_BROKER_URL).split(":", 1)[0]
        log(
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; database {engine}, broker "
            f"{broker}; SMTP replies after {args.smtp_delay:g} s"
        )
        for n in range(args.warmup):  # templates, catalogues, connections
            _one_post(clients, officer, account, n)
        timings: dict[str, list[float]] = {a: [] for a in ACTIONS}
        cpu: dict[str, list[float]] = {a: [] for a in ACTIONS}
        for n in range(args.iterations):
            for action, (wall_ms, cpu_ms) in _one_post(clients, officer, account, n).items():
                timings[action].append(wall_ms)
                cpu[action].append(cpu_ms)
        connections_during_requests = smtp.connections
        pending = list(
            Notification.objects.filter(
                email_status=Notification.EmailStatus.PENDING,
                recipient__in=[officer, manager],
            ).values_list("pk", flat=True)
        )
        report: dict[str, Any] = {
            "machine": {
                "cpus": os.cpu_count(),
                "load_1min": round(os.getloadavg()[0], 2),
                "python": platform.python_version(),
                "database": engine,
                "broker": broker,
            },
            "smtp_delay_s": args.smtp_delay,
            "iterations": args.iterations,
            "smtp_connections_during_requests": connections_during_requests,
            "notifications_pending": len(pending),
            "actions": {},
        }
        for action, values in timings.items():
            values.sort()
            cpu_values = sorted(cpu[action])
            report["actions"][action] = {
                "p50_ms": round(_percentile(values, 0.5), 1),
                "p95_ms": round(_percentile(values, 0.95), 1),
                "max_ms": round(values[-1], 1),
                "cpu_p50_ms": round(_percentile(cpu_values, 0.5), 1),
                "cpu_p95_ms": round(_percentile(cpu_values, 0.95), 1),
            }
            log(f"{action}: {report['actions'][action]}")
        if not args.no_send and pending:
            # What one request used to wait for: the task sending one e-mail.
            started = time.perf_counter()
            email_delivery.notification_emails_send(notification_ids=pending[:1])
            report["one_email_sent_by_the_task_s"] = round(time.perf_counter() - started, 2)
            report["emails_received_by_smtp"] = len(smtp.messages)
            log(f"one e-mail through the task: {report['one_email_sent_by_the_task_s']} s")
        met = all(a["p95_ms"] <= args.max_p95_ms for a in report["actions"].values())
        report["goal"] = {"p95_ms_at_most": args.max_p95_ms, "met": met}
        print(json.dumps(report, indent=2))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
