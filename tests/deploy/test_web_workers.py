"""``dispatch serve --workers 2``: two web processes on one port, one Redis."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import httpx
import psutil

from dispatch.embedded_redis import free_port
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import PASSWORD, TEST_SCRYPT_N

START_TIMEOUT_S = 60.0


def test_serve_with_two_workers_answers_from_two_processes(
        settings: Settings, seeded: OrgData, tmp_path: object) -> None:
    port = free_port()
    env = dict(os.environ, REDIS_URL=settings.redis_url or "", DISPATCH_PORT=str(port),
               DISPATCH_SCRYPT_N=str(TEST_SCRYPT_N), DISPATCH_DATA=str(tmp_path),
               DISPATCH_LOG_LEVEL="warning", DISPATCH_STREET=settings.street)
    proc = subprocess.Popen([sys.executable, "-m", "dispatch", "serve", "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        workers: list[psutil.Process] = []
        while time.monotonic() < deadline:
            workers = [p for p in psutil.Process(proc.pid).children()  # not its helpers
                       if "spawn_main" in " ".join(p.cmdline())]
            with contextlib.suppress(httpx.HTTPError):
                ready = httpx.get(f"{url}/readyz", timeout=5).status_code == 200
                if len(workers) == 2 and ready:
                    break
            time.sleep(0.2)
        assert len(workers) == 2  # two web processes under one supervisor
        with httpx.Client(base_url=url, timeout=10) as http:
            r = http.post("/api/v1/login", json={"username": "gw001", "password": PASSWORD})
            assert r.status_code == 200  # either process signs in against the one Redis
            token = r.json()["token"]
            for _ in range(4):  # every request, whichever process takes it, knows the token
                assert http.get("/api/v1/me/tracking",
                                headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
