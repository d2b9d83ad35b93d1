"""Throwaway PostgreSQL and Redis servers on loopback, and a launcher around a command.

    python -m peers.services run [--no-postgres] [--no-redis] -- pytest -q
    python -m peers.services serve

``run`` starts the servers, runs the command with ``DATABASE_URL`` and ``REDIS_URL`` in its
environment, stops the servers and exits with the command's exit code. ``serve`` prints the
two URLs and keeps the servers up until Ctrl-C.

PostgreSQL refuses to run as root: when we are root, the cluster is created and run as the
``postgres`` user in a temporary folder that user owns. Durability is traded for speed
(``fsync=off``): these clusters never outlive a test run.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from peers import (
    LOOPBACK,
    PeerStartError,
    TetheredProcess,
    free_port,
    register_for_exit,
    serve_until_signalled,
    tail,
    unregister_for_exit,
    wait_until,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType, TracebackType

__all__ = ["PostgresServer", "RedisServer", "main"]

_PG_USER = "postgres"


def _find_binary(name: str, *extra_dirs: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for pattern in extra_dirs:
        for candidate in sorted(Path("/").glob(pattern.lstrip("/")), reverse=True):
            if (candidate / name).is_file():
                return str(candidate / name)
    raise PeerStartError(f"{name} not found on PATH nor in {', '.join(extra_dirs)}")


def _pg_binary(name: str) -> str:
    return _find_binary(name, "/usr/lib/postgresql/*/bin")


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, with one database, trust auth on loopback.

    ``url`` is ``postgres://postgres@127.0.0.1:PORT/<database>``; the ``postgres`` role is a
    superuser, so pytest-django can create its test database next to it.
    """

    def __init__(
        self,
        *,
        database: str = "porte_voix",
        port: int | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.database = database
        self._wanted_port = port
        self._startup_timeout = startup_timeout
        self._dir: Path | None = None
        self._proc: TetheredProcess | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("PostgresServer is not started")
        return f"postgres://{_PG_USER}@{LOOPBACK}:{self.port}/{self.database}"

    def _run_as(self) -> str | None:
        return _PG_USER if os.geteuid() == 0 else None

    def start(self) -> PostgresServer:
        if self._proc is not None:
            return self
        register_for_exit(self)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        user = self._run_as()
        self._dir = Path(tempfile.mkdtemp(prefix="porte-voix-pg-"))
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(self._dir, entry.pw_uid, entry.pw_gid)
        data = self._dir / "data"
        initdb = subprocess.run(
            [
                _pg_binary("initdb"),
                "--pgdata",
                str(data),
                "--username",
                _PG_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ],
            user=user,
            cwd=self._dir,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if initdb.returncode != 0:
            raise PeerStartError(
                f"initdb failed ({initdb.returncode}):\n"
                + (initdb.stdout + initdb.stderr).decode("utf-8", "replace")
            )
        log_path = self._dir / "postgres.log"
        for _attempt in range(3):
            port = self._wanted_port or free_port()
            proc = TetheredProcess(
                [
                    _pg_binary("postgres"),
                    "-D",
                    str(data),
                    "-h",
                    LOOPBACK,
                    "-p",
                    str(port),
                    "-k",
                    str(self._dir),
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                # SIGINT is PostgreSQL's "fast" shutdown: disconnect clients, then exit.
                stop_signal=signal.SIGINT,
                user=user,
                cleanup_dir=self._dir,
                log_path=log_path,
            )
            self._proc = proc
            proc.start()
            if wait_until(
                functools.partial(self._accepts, port),
                timeout=self._startup_timeout,
                interval=0.1,
                alive=proc.alive,
            ):
                self.port = port
                self._create_database()
                return
            bind_failed = "could not bind" in tail(log_path) or "already in use" in tail(log_path)
            self._proc = None
            proc.stop()
            if self._wanted_port is not None or not bind_failed:
                break
        raise PeerStartError(f"PostgreSQL did not start:\n{tail(log_path)}")

    @staticmethod
    def _accepts(port: int) -> bool:
        import psycopg

        try:
            with psycopg.connect(
                host=LOOPBACK, port=port, user=_PG_USER, dbname="postgres", connect_timeout=2
            ):
                return True
        except psycopg.OperationalError:
            return False

    def _create_database(self) -> None:
        import psycopg
        from psycopg import sql

        assert self.port is not None
        with psycopg.connect(
            host=LOOPBACK, port=self.port, user=_PG_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))

    def alive(self) -> bool:
        return self._proc is not None and self._proc.alive()

    def stop(self) -> None:
        unregister_for_exit(self)
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self.port = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class RedisServer:
    """A redis-server on loopback.

    Without persistence by default (``--save '' --appendonly no``). With ``persistent=True``
    it keeps an append-only file (fsync always) in its folder, so :meth:`restart` brings the
    same data back on the same port: what the fault tests that restart Redis need.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        persistent: bool = False,
        startup_timeout: float = 20.0,
    ) -> None:
        self._wanted_port = port
        self.persistent = persistent
        self._startup_timeout = startup_timeout
        self._dir: Path | None = None
        self._proc: TetheredProcess | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("RedisServer is not started")
        return f"redis://{LOOPBACK}:{self.port}/0"

    @property
    def log_path(self) -> Path | None:
        return self._dir / "redis.log" if self._dir is not None else None

    def start(self) -> RedisServer:
        if self._proc is not None:
            return self
        register_for_exit(self)
        try:
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix="porte-voix-redis-"))
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def _argv(self, port: int) -> list[str]:
        assert self._dir is not None
        argv = [
            _find_binary("redis-server"),
            "--bind",
            LOOPBACK,
            "--port",
            str(port),
            "--dir",
            str(self._dir),
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
            "--logfile",
            "",
        ]
        if self.persistent:
            argv += ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        else:
            argv += ["--save", "", "--appendonly", "no"]
        return argv

    def _launch(self) -> None:
        for _attempt in range(3):
            # A restart comes back on the port it had: clients hold that URL.
            port = self.port or self._wanted_port or free_port()
            proc = TetheredProcess(self._argv(port), cleanup_dir=self._dir, log_path=self.log_path)
            self._proc = proc
            proc.start()
            if wait_until(
                functools.partial(_redis_ping, port),
                timeout=self._startup_timeout,
                alive=proc.alive,
            ):
                self.port = port
                return
            log = tail(self.log_path)
            self._proc = None
            proc.stop()
            if self.port or self._wanted_port or "Address already in use" not in log:
                break
        raise PeerStartError(f"redis-server did not start:\n{tail(self.log_path)}")

    def alive(self) -> bool:
        return self._proc is not None and self._proc.alive()

    def kill(self) -> None:
        """Stop the server process but keep its folder and port, for :meth:`restart`."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.stop(keep_dir=True)

    def restart(self) -> None:
        """Stop and start again on the same port (with the same data when persistent)."""
        self.kill()
        self._launch()

    def stop(self) -> None:
        unregister_for_exit(self)
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self.port = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _start_all(servers: Sequence[PostgresServer | RedisServer]) -> None:
    """Start the servers side by side (PostgreSQL's initdb dominates)."""
    errors: list[BaseException] = []

    def start(server: PostgresServer | RedisServer) -> None:
        try:
            server.start()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        for server in servers:
            server.stop()
        raise errors[0]


def _service_env(servers: Sequence[PostgresServer | RedisServer]) -> dict[str, str]:
    env: dict[str, str] = {}
    for server in servers:
        if isinstance(server, PostgresServer):
            env["DATABASE_URL"] = server.url
        else:
            env["REDIS_URL"] = server.url
    return env


def _run(command: list[str], servers: list[PostgresServer | RedisServer]) -> int:
    _start_all(servers)
    try:
        env = {**os.environ, **_service_env(servers)}
        try:
            child = subprocess.Popen(command, env=env)
        except OSError as exc:
            print(f"cannot run {command[0]}: {exc}", file=sys.stderr)
            return 127

        # The child shares our terminal: Ctrl-C reaches it directly. We wait for it to
        # finish and then tear down, instead of dying first and leaving it without servers.
        def forward(signum: int, _frame: FrameType | None) -> None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGHUP, forward)
        return child.wait()
    finally:
        for server in reversed(servers):
            server.stop()


def _serve(servers: list[PostgresServer | RedisServer]) -> int:
    _start_all(servers)
    try:
        for key, value in _service_env(servers).items():
            print(f"{key}={value}", flush=True)
        return serve_until_signalled(lambda: all(s.alive() for s in servers), "a service")
    finally:
        for server in reversed(servers):
            server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peers.services", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    for name in ("run", "serve"):
        action = sub.add_parser(name)
        action.add_argument("--no-postgres", action="store_true")
        action.add_argument("--no-redis", action="store_true")
        if name == "run":
            action.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    servers: list[PostgresServer | RedisServer] = []
    if not args.no_postgres:
        servers.append(PostgresServer())
    if not args.no_redis:
        servers.append(RedisServer())
    if args.action == "serve":
        return _serve(servers)
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        parser.error("run needs a command after --")
    return _run(command, servers)


if __name__ == "__main__":
    sys.exit(main())
