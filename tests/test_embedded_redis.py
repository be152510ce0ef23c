"""The managed redis-server: start, attach, persist (AOF), stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import redis

from dispatch.embedded_redis import LOOPBACK, EmbeddedRedis, find_binary, ping
from tests.waiting import wait_until


def test_start_attach_persist_stop(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis")
    url, started = server.start()
    try:
        assert started
        again, started_again = EmbeddedRedis(tmp_path / "redis").start()
        assert (again, started_again) == (url, False)  # attach, not a second server
        client = redis.Redis.from_url(url)
        assert client.config_get("appendonly")["appendonly"] == "yes"
        client.set("kept", "yes")
        client.close()
    finally:
        assert server.stop()
    assert server.status() is None
    url2, started2 = server.start()
    try:
        assert started2
        assert redis.Redis.from_url(url2).get("kept") == b"yes"  # survived the restart
    finally:
        server.stop()


def test_cli_redis_commands(tmp_path: Path) -> None:
    env = {"DISPATCH_DATA": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dispatch", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    assert cli("redis", "status").returncode == 1
    assert "started" in cli("redis", "start").stdout
    assert "already running" in cli("redis", "start").stdout
    assert cli("redis", "status").stdout.startswith("running: redis://127.0.0.1:")
    assert cli("redis", "stop").stdout.strip() == "stopped"
    assert cli("redis", "status").returncode == 1


def test_a_restart_keeps_the_recorded_port_unless_it_is_taken(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis")
    url, _ = server.start()
    try:
        pid = server.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # a crash: the port file stays behind
        wait_until(lambda: server.status() is None, "the server to be gone")
        again, started = server.start()
        assert (again, started) == (url, True)
    finally:
        server.stop()
    port = server.recorded_port()
    assert port is not None
    with socket.socket() as squatter:  # something else took the port meanwhile
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((LOOPBACK, port))
        squatter.listen()
        moved, _ = server.start()
        try:
            assert moved != url and ping(moved)
            assert server.recorded_port() != port
        finally:
            server.stop()


def test_another_redis_on_the_recorded_port_is_not_taken_for_ours(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis")
    url, _ = server.start()
    server.stop()
    port = server.recorded_port()
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = subprocess.Popen([str(find_binary()), "--port", str(port), "--bind", LOOPBACK,
                              "--dir", str(other_dir), "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: ping(url), "the other server")
        assert server.status() is None  # it answers, but it is not ours
        mine, started = server.start()
        try:
            assert started and mine != url
            client = redis.Redis.from_url(mine, decode_responses=True)
            assert Path(client.config_get("dir")["dir"]) == (tmp_path / "redis").resolve()
            client.close()
        finally:
            server.stop()
    finally:
        other.terminate()
        other.wait(15)
