"""The Bluesky peer: the reference PDS (``@atproto/pds``) and an in-memory did:plc directory.

    python -m peers.pds install                 # install (or find) the Node packages
    python -m peers.pds serve [--account alice]  # run until Ctrl-C, print URL/accounts

The Node side is ``pds/server.mjs``; its packages live in a cache outside the work tree
(``peers/install_pds.sh``). There is no AppView: repo operations work, ``app.bsky.*``
reads answer 502. Handles end in ``.test``; no invite code; no e-mail is sent.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from peers import (
    PeerStartError,
    register_for_exit,
    serve_until_signalled,
    unregister_for_exit,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import TracebackType

    from atproto import Client  # type: ignore[import-untyped,unused-ignore]

__all__ = ["BlueskyPeer", "BlueskyTestAccount", "PdsInstall", "install_pds"]

HERE = Path(__file__).resolve().parent
INSTALL_SCRIPT = HERE / "install_pds.sh"
SERVER_SCRIPT = HERE / "pds" / "server.mjs"


@dataclass(frozen=True)
class PdsInstall:
    node: Path
    node_modules: Path


def install_pds(*, timeout: float = 900.0) -> PdsInstall:
    """Run ``install_pds.sh``: instant when cached, a minute or three when not.

    Its progress goes to our stderr; its stdout names the Node binary and ``node_modules``.
    """
    try:
        done = subprocess.run(
            ["bash", str(INSTALL_SCRIPT)],
            stdout=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PeerStartError(f"installing the PDS took more than {timeout:g} s") from exc
    paths = dict(line.split("=", 1) for line in done.stdout.decode().splitlines() if "=" in line)
    if done.returncode != 0 or "NODE" not in paths or "NODE_MODULES" not in paths:
        raise PeerStartError(
            f"{INSTALL_SCRIPT} failed (exit {done.returncode}); see its output above"
        )
    return PdsInstall(node=Path(paths["NODE"]), node_modules=Path(paths["NODE_MODULES"]))


@dataclass(frozen=True)
class BlueskyTestAccount:
    did: str
    handle: str
    password: str
    app_password: str


_HANDLE_CHARS = re.compile(r"[^a-z0-9]")


class BlueskyPeer:
    """A PDS and its PLC directory in one Node process, on loopback.

    ``url`` is the PDS (``http://localhost:PORT``: the PDS names itself by ``localhost``,
    and DID documents carry that URL). ``log_path`` turns the servers' JSON logs on (for
    instance to see the 500 behind a repeated ``createRecord``).

    ``listen_port``: the PDS listens there while ``port`` stays its public address, for a
    proxy that holds ``port`` (the SDK moves every call to the DID document's endpoint after
    logging in, so a proxy must own the public URL to see the writes). ``direct_url`` then
    reaches the PDS itself.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        plc_port: int | None = None,
        listen_port: int | None = None,
        log_path: Path | None = None,
        startup_timeout: float = 60.0,
        install_timeout: float = 900.0,
    ) -> None:
        self._port = port
        self._plc_port = plc_port
        self._listen_port = listen_port
        self.log_path = log_path
        self._startup_timeout = startup_timeout
        self._install_timeout = install_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr_fd: int | None = None
        self._urls: dict[str, str] | None = None
        self.startup_seconds: float | None = None

    @property
    def url(self) -> str:
        return self._require_urls()["pds"]

    @property
    def direct_url(self) -> str:
        return self._require_urls()["direct"]

    @property
    def plc_url(self) -> str:
        return self._require_urls()["plc"]

    def _require_urls(self) -> dict[str, str]:
        if self._urls is None:
            raise RuntimeError("BlueskyPeer is not started")
        return self._urls

    def start(self) -> BlueskyPeer:
        if self._proc is not None:
            return self
        install = install_pds(timeout=self._install_timeout)
        register_for_exit(self)
        try:
            self._launch(install)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, install: PdsInstall) -> None:
        argv = [str(install.node), str(SERVER_SCRIPT), "--node-modules", str(install.node_modules)]
        if self._port is not None:
            argv += ["--pds-port", str(self._port)]
        if self._plc_port is not None:
            argv += ["--plc-port", str(self._plc_port)]
        if self._listen_port is not None:
            argv += ["--listen-port", str(self._listen_port)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NODE_", "LOG_"))}
        # Node's on-disk compile cache takes about a second off every start.
        env["NODE_COMPILE_CACHE"] = str(install.node_modules.parent / "compile-cache")
        if self.log_path is not None:
            env["LOG_ENABLED"] = "true"
            env["LOG_DESTINATION"] = str(self.log_path)
        # The server's stderr goes to an unlinked file: readable for error messages through
        # our descriptor, and nothing left behind however this process ends.
        fd, stderr_name = tempfile.mkstemp(prefix="porte-voix-pds-", suffix=".stderr")
        os.unlink(stderr_name)
        self._stderr_fd = fd
        started = time.monotonic()
        self._proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=fd,
            env=env,
            cwd=install.node_modules.parent,
            start_new_session=True,
        )
        line = self._read_ready_line(self._proc)
        try:
            urls = json.loads(line)
            self._urls = {"pds": str(urls["pds"]), "plc": str(urls["plc"])}
            self._urls["direct"] = str(urls.get("direct") or urls["pds"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PeerStartError(f"PDS printed {line!r}:\n{self._stderr_tail()}") from exc
        self.startup_seconds = time.monotonic() - started
        # Nothing more is expected on stdout, but a full pipe would block the server.
        threading.Thread(target=_drain, args=(self._proc,), daemon=True).start()

    def _read_ready_line(self, proc: subprocess.Popen[bytes]) -> str:
        assert proc.stdout is not None
        deadline = time.monotonic() + self._startup_timeout
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while b"\n" not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PeerStartError(
                        f"PDS not ready after {self._startup_timeout:g} s:\n{self._stderr_tail()}"
                    )
                if not selector.select(min(remaining, 0.5)):
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    proc.wait(5)
                    raise PeerStartError(
                        f"PDS exited with {proc.returncode} before it was ready:\n"
                        f"{self._stderr_tail()}"
                    )
                buffer += chunk
        return buffer.split(b"\n", 1)[0].decode()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        unregister_for_exit(self)
        proc, self._proc = self._proc, None
        self._urls = None
        if proc is not None:
            # EOF on stdin is the server's cue to shut down (it also obeys SIGTERM).
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            try:
                proc.wait(8)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self._close_stderr()

    def _stderr_tail(self, limit: int = 4000) -> str:
        if self._stderr_fd is None:
            return ""
        size = os.fstat(self._stderr_fd).st_size
        data = os.pread(self._stderr_fd, min(limit, size), max(0, size - limit))
        return data.decode("utf-8", "replace")

    def _close_stderr(self) -> None:
        fd, self._stderr_fd = self._stderr_fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> BlueskyPeer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- accounts -----------------------------------------------------------------------

    def create_account(self, handle_prefix: str) -> BlueskyTestAccount:
        """Create an account ``<prefix><random>.test`` and an app password for it.

        The prefix is cut and cleaned so that the part before ``.test`` stays within the
        3 to 18 letters and digits the PDS accepts; the random part keeps handles unique
        across tests sharing one server.
        """
        name = _HANDLE_CHARS.sub("", handle_prefix.lower())[:12] or "user"
        if not name[0].isalpha():
            name = ("u" + name)[:12]
        handle = f"{name}{secrets.token_hex(3)}.test"
        password = secrets.token_urlsafe(18)
        created = self._xrpc(
            "com.atproto.server.createAccount",
            {"handle": handle, "email": f"{handle}@example.com", "password": password},
        )
        app = self._xrpc(
            "com.atproto.server.createAppPassword",
            {"name": "porte-voix-tests"},
            token=str(created["accessJwt"]),
        )
        return BlueskyTestAccount(
            did=str(created["did"]),
            handle=str(created["handle"]),
            password=password,
            app_password=str(app["password"]),
        )

    def _xrpc(self, nsid: str, body: dict[str, Any], *, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(f"{self.url}/xrpc/{nsid}", json=body, headers=headers, timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"{nsid} answered {response.status_code}: {response.text}")
        return response.json()

    def client(self, account: BlueskyTestAccount) -> Client:
        """An atproto ``Client`` logged in with the account's app password.

        No profile lookup: without an AppView it would answer 502.
        """
        from atproto import Client  # type: ignore[import-untyped,unused-ignore]

        client = Client(base_url=self.url)
        client.login(account.handle, account.app_password, fetch_bsky_profile=False)
        return client


def _drain(proc: subprocess.Popen[bytes]) -> None:
    stream = proc.stdout
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        while stream.read(65536):
            pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peers.pds", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("install", help="install the Node packages if needed, print their paths")
    serve = sub.add_parser("serve", help="run the PDS until Ctrl-C")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--plc-port", type=int, default=None)
    serve.add_argument("--log", type=Path, default=None, help="write the servers' logs here")
    serve.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="PREFIX",
        help="create an account and print its credentials (repeatable)",
    )
    args = parser.parse_args(argv)

    if args.action == "install":
        install = install_pds()
        print(f"NODE={install.node}\nNODE_MODULES={install.node_modules}")
        return 0
    with BlueskyPeer(port=args.port, plc_port=args.plc_port, log_path=args.log) as peer:
        print(json.dumps({"pds": peer.url, "plc": peer.plc_url}), flush=True)
        for prefix in args.account:
            print(json.dumps(asdict(peer.create_account(prefix))), flush=True)
        return serve_until_signalled(peer.alive, "PDS")


if __name__ == "__main__":
    sys.exit(main())
