"""The three processes as deployed (``dispatch serve``, ``worker``, ``clock``): each exports its
metrics families, and no token a client used appears in any line of their logs."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from websockets.sync.client import connect

from dispatch.embedded_redis import free_port
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import PASSWORD, TEST_SCRYPT_N
from tests.waiting import wait_until

START_TIMEOUT_S = 30.0
FAMILIES = {
    "web": ["dispatch_ws_connections", "dispatch_ws_messages_total",
            "dispatch_http_requests_total", "dispatch_redis_roundtrip_seconds"],
    "clock": ["dispatch_timer_lateness_seconds", "dispatch_cases", "dispatch_cases_open_by_light",
              "dispatch_cases_archived",
              "dispatch_alerts_open", "dispatch_rq_queue_jobs", "dispatch_rq_failed_jobs",
              "dispatch_redis_roundtrip_seconds", "dispatch_clock_leading"],
    "worker": ["dispatch_worker_jobs_total", "dispatch_rq_queue_jobs", "dispatch_rq_failed_jobs",
               "dispatch_redis_roundtrip_seconds"],
}


@contextlib.contextmanager
def processes(settings: Settings, logs: Path) -> Iterator[dict[str, str]]:
    ports = {"web": free_port(), "worker": free_port(), "clock": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "REDIS_"))}
    env.update(REDIS_URL=str(settings.redis_url), DISPATCH_DATA=str(settings.data_dir),
               DISPATCH_SCRYPT_N=str(TEST_SCRYPT_N), DISPATCH_PORT=str(ports["web"]),
               DISPATCH_WORKER_METRICS_PORT=str(ports["worker"]),
               DISPATCH_CLOCK_METRICS_PORT=str(ports["clock"]), DISPATCH_METRICS_EVERY="0.3",
               DISPATCH_LOG_LEVEL="info", DISPATCH_PATROL_WINDOWS="00:00-23:59")
    logs.mkdir(parents=True, exist_ok=True)
    children = []
    for name, args in (("web", ["serve"]), ("worker", ["worker"]), ("clock", ["clock"])):
        out = open(logs / f"{name}.log", "wb")  # noqa: SIM115
        children.append((subprocess.Popen([sys.executable, "-m", "dispatch", *args], env=env,
                                          stdout=out, stderr=subprocess.STDOUT), out))
    urls = {"web": f"http://127.0.0.1:{ports['web']}",
            "worker": f"http://127.0.0.1:{ports['worker']}",
            "clock": f"http://127.0.0.1:{ports['clock']}"}
    try:
        for url in urls.values():
            wait_for(f"{url}/metrics")
        yield urls
    finally:
        for proc, _ in children:
            proc.terminate()
        for proc, out in children:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            out.close()


def answers(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=1).status_code == 200
    return False


def wait_for(url: str) -> None:
    wait_until(lambda: answers(url), f"{url} to answer", START_TIMEOUT_S)


def families(text: str) -> set[str]:
    return set(re.findall(r"^# TYPE (\S+) ", text, re.M))


def test_metrics_of_each_process_and_no_token_in_any_log(
        settings: Settings, seeded: OrgData, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    with processes(settings, logs) as urls:
        web = httpx.Client(base_url=urls["web"], timeout=10)
        token = web.post("/api/v1/login", json={"username": "gw001", "password": PASSWORD}
                         ).json()["token"]
        screen = web.post("/api/v1/login", json={"username": "screen1", "password": PASSWORD}
                          ).json()["token"]
        ws_base = "ws" + urls["web"][4:]
        with connect(f"{ws_base}/ws/phone?token={token}") as phone, \
                connect(f"{ws_base}/ws/screen") as live:
            live.send(json.dumps({"type": "auth", "token": screen}))
            assert json.loads(live.recv(timeout=5))["type"] == "auth.ok"
            phone.send(json.dumps({"type": "ping", "seq": 1, "lat": 39.03, "lon": 117.42,
                                   "ts": int(time.time() * 1000)}))
            assert json.loads(phone.recv(timeout=5))["type"] == "ack"
            me = web.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200
            web.get(f"/api/v1/cases?token={token}")
            web.get(f"/no/such/page?token={token}&x=1")
            web_text = web.get("/metrics").text
        assert 'dispatch_ws_connections{kind="phone"} 1.0' in web_text
        assert 'dispatch_ws_messages_total{direction="in",kind="phone"}' in web_text
        def clock_metrics() -> str:
            return httpx.get(f"{urls['clock']}/metrics").text

        green = f'dispatch_cases_open_by_light{{light="green",street="{settings.street}"}}'
        wait_until(lambda: green in clock_metrics(),
                   "the clock's gauges to be refreshed", START_TIMEOUT_S)
        clock_text = clock_metrics()
        worker_text = httpx.get(f"{urls['worker']}/metrics").text
        web.close()
    found = {"web": families(web_text), "clock": families(clock_text),
             "worker": families(worker_text)}
    missing = {p: sorted(set(names) - found[p]) for p, names in FAMILIES.items()}
    assert missing == {"web": [], "clock": [], "worker": []}
    assert f'dispatch_alerts_open{{kind="sos",street="{settings.street}"}} 0.0' in clock_text
    assert 'dispatch_rq_queue_jobs{queue="reports"}' in worker_text

    dashboard = (Path(__file__).resolve().parents[2] / "docs" / "grafana" / "dispatch.json")
    exprs = [t["expr"] for panel in json.loads(dashboard.read_text())["panels"]
             for t in panel["targets"]]
    shown = {re.sub(r"_bucket$", "", m) for e in exprs for m in re.findall(r"dispatch_\w+", e)}
    assert shown - set().union(*found.values()) == set()  # the dashboard shows what exists

    text = {p.name: p.read_text(errors="replace") for p in logs.iterdir()}
    for name, lines in text.items():
        assert token not in lines and screen not in lines, name
    assert "/ws/phone?token=[redacted]" in text["web.log"]  # the lines exist, redacted
    assert "/no/such/page?token=[redacted]&x=1" in text["web.log"]
