"""The newcomer's path: the demo listens on DISPATCH_PORT, a second demo on the same data says
where the first runs and exits, ``--reset`` refuses while one runs and otherwise starts from an
empty street; the Makefile has a target for each common command the README shows."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dispatch.embedded_redis import EmbeddedRedis, free_port
from dispatch.org.preset import street_preset
from tests.location.fixtures import inside
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
READY_S = 60.0
#: A killed Redis found by the demo's watch, started again and replayed from its AOF.
RESTART_S = 120.0
URL_LINE = re.compile(r"Command screen: (http://\S+)/")


def demo_env(data: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "REDIS_"))}
    env.update(DISPATCH_DATA=str(data), DISPATCH_PORT=str(port), DISPATCH_SCRYPT_N="16",
               DISPATCH_WORKER_METRICS_PORT="0", DISPATCH_CLOCK_METRICS_PORT="0")
    return env


def dispatch(*args: str, env: dict[str, str],
             timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dispatch", *args], env=env, text=True,
                          capture_output=True, timeout=timeout, check=False)


class Demo:
    def __init__(self, env: dict[str, str], *extra: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "dispatch", "demo", "--quiet",
                                      *extra], env=env, text=True, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.output = ""

    def url(self) -> str:
        deadline = time.monotonic() + READY_S
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                break
            self.output += line
            found = URL_LINE.search(line)
            if found:
                return found.group(1)
        raise AssertionError(f"the demo did not start:\n{self.output}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        assert self.proc.stdout is not None
        self.output += self.proc.stdout.read()
        self.proc.stdout.close()


@pytest.fixture
def demo_data(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "var"
    yield data
    # whatever happened, no redis-server of the demo is left behind
    subprocess.run([sys.executable, "-m", "dispatch", "redis", "stop"],
                   env=demo_env(data, 0), capture_output=True, check=False, timeout=30)


def report(url: str) -> None:
    with httpx.Client(base_url=url, timeout=10) as c:
        token = c.post("/api/v1/login", json={"username": "gw001", "password": "demo"}
                       ).json()["token"]
        lon, lat = inside(street_preset(), "001")
        r = c.post("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}, json={
            "client_id": "demo-1", "item": "SR01", "lat": lat, "lon": lon,
            "description": "a pothole"})
        assert r.status_code == 201, r.text


def cases(url: str) -> list[object]:
    with httpx.Client(base_url=url, timeout=10) as c:
        token = c.post("/api/v1/login", json={"username": "disp1", "password": "demo"}
                       ).json()["token"]
        return list(c.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}
                          ).json()["items"])


def test_one_demo_per_data_its_port_and_reset(demo_data: Path) -> None:
    port = free_port()
    env = demo_env(demo_data, port)
    first = Demo(env)
    try:
        url = first.url()
        assert url == f"http://127.0.0.1:{port}"
        report(url)
        second = dispatch("demo", "--quiet", env=env)
        assert second.returncode == 0
        assert f"already running at {url}" in second.stdout
        refused = dispatch("demo", "--reset", "--quiet", env=env)
        assert refused.returncode == 1 and "stop it" in refused.stderr
        assert len(cases(url)) == 1
    finally:
        first.stop()
    fresh = Demo(env, "--reset")
    try:
        url = fresh.url()
        assert "reset:" in fresh.output
        assert cases(url) == []
    finally:
        fresh.stop()


def test_makefile_has_the_readme_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    shown = set(re.findall(r"^make ([a-z][a-z-]*)", readme, re.M))
    assert {"demo", "test", "demo-reset", "serve", "worker", "clock", "seed", "backup"} <= shown
    assert shown <= targets
    assert ".venv/bin/dispatch --help" in readme


def test_dispatch_help_lists_the_commands() -> None:
    out = dispatch("--help", env=dict(os.environ)).stdout
    for command in ("serve", "worker", "clock", "demo", "backup", "restore"):
        assert command in out


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} unreadable)"


def test_the_demo_brings_its_redis_back_on_the_same_port(demo_data: Path) -> None:
    port = free_port()
    env = demo_env(demo_data, port)
    demo = Demo(env)
    try:
        url = demo.url()
        server = EmbeddedRedis(demo_data / "redis")
        redis_url, pid = server.status(), server.pid()
        assert redis_url is not None and pid is not None
        report(url)
        os.kill(pid, signal.SIGKILL)
        try:
            wait_until(lambda: (server.pid() not in (None, pid)
                                and server.status() == redis_url)
                       or demo.proc.poll() is not None,
                       "the demo to start its Redis again on its port", RESTART_S)
        except AssertionError:
            demo.stop()
            raise AssertionError(f"no Redis again on {redis_url}:\n{demo.output}\n"
                                 f"{_tail(demo_data / 'redis' / 'redis.log')}") from None
        assert demo.proc.poll() is None, f"the demo stopped:\n{demo.output}"
        wait_until(lambda: httpx.get(f"{url}/readyz", timeout=5).status_code == 200,
                   "the web process to reconnect", RESTART_S)
        assert len(cases(url)) == 1  # the case reported before the crash, from the AOF
        assert demo.proc.poll() is None
    finally:
        demo.stop()
    assert "starting it again" in demo.output
