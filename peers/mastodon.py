"""The Mastodon peer: ``mastodon-mock`` serving the Mastodon REST API from its own process.

    python -m peers.mastodon serve [--port N] [--account alice]

A separate process, not a thread of the test process: a Celery worker in another process
reaches it the same way, and the test process's frozen clocks (time-machine) or Django
settings cannot leak into it. The server starts empty (no seeded accounts); accounts are
created on demand by :meth:`MastodonPeer.create_token`.

Fidelity gaps to remember (measured; see ``shared/docs/test-peers.md``): length is checked
on raw text, media upload is synchronous, idempotency keys never expire.

Other servers of the Mastodon API are imitated with options (:class:`MastodonPeer`): scope
enforcement per endpoint as Mastodon's controllers do it, other status limits, another
software name in NodeInfo, another version string. Each option is the mock's own config
(``[auth] enforce_scopes``, ``mocked_version``) where it has one, else a patch of the mock's
module in the server process (its limits are module constants).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx
from mastodon import Mastodon

from peers import (
    LOOPBACK,
    PeerStartError,
    register_for_exit,
    serve_until_signalled,
    unregister_for_exit,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import TracebackType

__all__ = ["MastodonPeer"]

# The server process. It binds the socket itself (port 0 unless told one) so the port it
# reports is the one it holds, prints {"url": ...} once serving, and exits when its stdin
# closes: the parent stopped it or died.
_CHILD = r"""
import json, os, re, socket, sys, threading, time
import uvicorn
from mastodon_mock.app import create_app
from mastodon_mock.config import AuthConfig, DatabaseConfig, MastodonMockConfig, SeedConfig

host, port, options = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind((host, port))
port = sock.getsockname()[1]
extra = {}
if options.get("version"):
    extra["mocked_version"] = options["version"]
config = MastodonMockConfig(
    database=DatabaseConfig(path=":memory:"),
    seed=SeedConfig(),
    domain=f"{host}:{port}",
    url_scheme="http",
    auth=AuthConfig(enforce_scopes=bool(options.get("enforce_scopes"))),
    **extra,
)

if options.get("enforce_scopes"):
    # The mock checks only "read" for reads and "write" for writes, which no granular
    # scope satisfies; Mastodon's controllers ask for these on the endpoints we use.
    import mastodon_mock.middleware as middleware
    coarse = middleware._required_scope
    def required_scope(request):
        path, method = request.url.path, request.method.upper()
        if path == "/api/v1/accounts/verify_credentials":
            return "read:accounts"
        if re.fullmatch(r"/api/v1/accounts/[^/]+/statuses", path):
            return "read:statuses"
        if path.startswith("/api/v1/statuses"):
            return "read:statuses" if method == "GET" else "write:statuses"
        if path.startswith(("/api/v1/media", "/api/v2/media")):
            return "write:media"
        return coarse(request)
    middleware._required_scope = required_scope
if options.get("max_characters") or options.get("characters_reserved_per_url"):
    import mastodon_mock.routers.statuses as statuses
    import mastodon_mock.serializers.instance as instance
    if options.get("max_characters"):
        instance._STATUS_CONFIG["max_characters"] = options["max_characters"]
        statuses.MAX_STATUS_CHARACTERS = options["max_characters"]
    if options.get("characters_reserved_per_url"):
        instance._STATUS_CONFIG["characters_reserved_per_url"] = options[
            "characters_reserved_per_url"
        ]
if options.get("software"):
    import mastodon_mock.routers.instance as routes
    plain = routes.serialize_nodeinfo
    def nodeinfo(session, config):
        document = plain(session, config)
        document["software"]["name"] = options["software"]
        return document
    routes.serialize_nodeinfo = nodeinfo
server = uvicorn.Server(
    uvicorn.Config(create_app(config), log_level="warning", server_header=False)
)

def announce():
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.01)
    sys.stdout.write(json.dumps({"url": f"http://{host}:{port}"}) + "\n")
    sys.stdout.flush()

def watch_stdin():
    try:
        while os.read(0, 65536):
            pass
    except OSError:
        pass
    server.should_exit = True

threading.Thread(target=announce, daemon=True).start()
threading.Thread(target=watch_stdin, daemon=True).start()
server.run(sockets=[sock])
"""


class MastodonPeer:
    """``mastodon-mock`` on loopback. ``url`` is ``http://127.0.0.1:PORT``.

    Options, to imitate other servers of the Mastodon API: ``enforce_scopes`` (each endpoint
    we use asks the scope Mastodon asks, e.g. ``read:statuses`` to list an account's
    statuses), ``max_characters`` and ``characters_reserved_per_url`` (advertised in the
    instance documents; the first is also enforced, on raw text), ``software`` (NodeInfo's
    ``software.name``, e.g. ``"gotosocial"``) and ``version`` (every version string the
    server reports, e.g. ``"v0.20.0-rc1"``).
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        startup_timeout: float = 30.0,
        enforce_scopes: bool = False,
        max_characters: int | None = None,
        characters_reserved_per_url: int | None = None,
        software: str | None = None,
        version: str | None = None,
    ) -> None:
        self._options = {
            "enforce_scopes": enforce_scopes,
            "max_characters": max_characters,
            "characters_reserved_per_url": characters_reserved_per_url,
            "software": software,
            "version": version,
        }
        self._port = port
        self._startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._url: str | None = None
        self._stderr = b""

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("MastodonPeer is not started")
        return self._url

    def start(self) -> MastodonPeer:
        if self._proc is not None:
            return self
        register_for_exit(self)
        try:
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self) -> None:
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _CHILD,
                LOOPBACK,
                str(self._port or 0),
                json.dumps(self._options),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd="/",  # away from any pyproject.toml the mock might read
            start_new_session=True,
        )
        line = self._read_ready_line(self._proc)
        try:
            self._url = str(json.loads(line)["url"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PeerStartError(f"mastodon-mock printed {line!r}") from exc
        # Keep both pipes drained: uvicorn's warnings must never block the server.
        for stream in (self._proc.stdout, self._proc.stderr):
            threading.Thread(target=_drain, args=(stream,), daemon=True).start()

    def _read_ready_line(self, proc: subprocess.Popen[bytes]) -> str:
        assert proc.stdout is not None and proc.stderr is not None
        deadline = time.monotonic() + self._startup_timeout
        out = b""
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            selector.register(proc.stderr, selectors.EVENT_READ)
            while b"\n" not in out:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PeerStartError(
                        f"mastodon-mock not ready after {self._startup_timeout:g} s:\n"
                        + self._stderr[-4000:].decode("utf-8", "replace")
                    )
                for key, _ in selector.select(min(remaining, 0.5)):
                    chunk = os.read(key.fd, 65536)
                    if key.fileobj is proc.stderr:
                        self._stderr += chunk
                    else:
                        out += chunk
                    if not chunk and key.fileobj is proc.stdout:
                        proc.wait(5)
                        raise PeerStartError(
                            f"mastodon-mock exited with {proc.returncode}:\n"
                            + self._stderr[-4000:].decode("utf-8", "replace")
                        )
                    if not chunk:
                        selector.unregister(key.fileobj)
        return out.split(b"\n", 1)[0].decode()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        unregister_for_exit(self)
        proc, self._proc = self._proc, None
        self._url = None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(8)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def __enter__(self) -> MastodonPeer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- accounts and reads -------------------------------------------------------------

    def create_token(self, username: str, *, scopes: Sequence[str] | None = None) -> str:
        """A user access token for ``username``, creating the local account if needed.

        The token comes from the OAuth flow a real instance uses: register an app, then
        exchange an authorization code (the mock mints ``mockcode_<username>``). It holds
        ``scopes`` (the app's, as on Mastodon), or Mastodon.py's default "read write follow
        push".
        """
        wanted = list(scopes) if scopes is not None else ["read", "write", "follow", "push"]
        response = httpx.post(
            f"{self.url}/api/v1/_mock/dev_user", json={"username": username}, timeout=10
        )
        if response.status_code not in (200, 422):  # 422: the account exists already
            raise RuntimeError(f"creating {username!r}: {response.status_code} {response.text}")
        client_id, client_secret = Mastodon.create_app(
            "porte-voix-tests", api_base_url=self.url, request_timeout=10, scopes=wanted
        )
        app = Mastodon(
            client_id=client_id,
            client_secret=client_secret,
            api_base_url=self.url,
            request_timeout=10,
            version_check_mode="none",
            mastodon_version="4.0.0",  # the peer may report a version Mastodon.py cannot parse
        )
        return app.log_in(code=f"mockcode_{username}", allow_http=True, scopes=wanted)

    def client(self, token: str) -> Mastodon:
        """A Mastodon.py client as the publisher should build one: throw on rate limits,
        short timeouts."""
        return Mastodon(
            access_token=token,
            api_base_url=self.url,
            ratelimit_method="throw",
            request_timeout=10,
            version_check_mode="none",
            mastodon_version="4.0.0",  # the peer may report a version Mastodon.py cannot parse
        )

    def status(self, token: str, status_id: str | int) -> dict[str, Any]:
        """Read a status back as its author sees it."""
        return dict(self.client(token).status(status_id))

    def add_fault(self, rule: Mapping[str, Any]) -> str:
        """Register a fault-injection rule (the JSON of ``POST /api/v1/_mock/faults``,
        e.g. ``{"match": {"path": "/api/v1/statuses", "methods": ["POST"]},
        "effect": {"type": "status", "status": 503}, "count": 1}``); returns its id."""
        response = httpx.post(f"{self.url}/api/v1/_mock/faults", json=dict(rule), timeout=10)
        response.raise_for_status()
        return str(response.json()["id"])

    def clear_faults(self) -> None:
        httpx.delete(f"{self.url}/api/v1/_mock/faults", timeout=10).raise_for_status()


def _drain(stream: Any) -> None:
    with contextlib.suppress(OSError, ValueError):
        while stream.read(65536):
            pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peers.mastodon", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    serve = sub.add_parser("serve", help="run mastodon-mock until Ctrl-C")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="USERNAME",
        help="create an account and print a token for it (repeatable)",
    )
    args = parser.parse_args(argv)

    with MastodonPeer(port=args.port) as peer:
        print(json.dumps({"url": peer.url}), flush=True)
        for username in args.account:
            token = peer.create_token(username)
            print(json.dumps({"username": username, "token": token}), flush=True)
        return serve_until_signalled(peer.alive, "mastodon-mock")


if __name__ == "__main__":
    sys.exit(main())
