"""``dispatch demo``: embedded Redis, the street seeded, web + worker + clock (+ simulator).

Prints the screen's URL and a login; Ctrl-C stops everything it started. With
``--preset district`` the Jizhou district is seeded and served, and the simulator plays
every street at once (a share of each street's people: DEMO_DISTRICT_SCALE). One demo
runs per data directory: a second one says where the first is and exits. ``--reset`` starts from
empty streets (the data directory's Redis data, photos and logs are removed first; with
``REDIS_URL``, the keys of every street served).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from dispatch.embedded_redis import LOOPBACK, EmbeddedRedis, free_port
from dispatch.settings import Settings

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
POLL_S = 0.25
DEMO_RULES = "demo_rules.toml"
#: The demo's street runs quickly (the environment still overrides these): a patrol is
#: complete after 5 minutes covering 30% of the grid (the simulated patrols last about 6),
#: and the whole simulated street may sign in at once from this machine. Its patrol
#: windows (see :func:`demo_windows`) start a minute after the demo does, so the first
#: window closes within ten minutes with complete, incomplete and missed patrols.
DEMO_ENV = {
    "DISPATCH_PATROL_MIN_DURATION": "5",
    "DISPATCH_PATROL_MIN_COVERAGE": "0.3",
    "DISPATCH_LOGIN_LIMIT_ADDR": "2000",
}
#: Demo patrol windows: WINDOW_MIN long, one every EVERY_MIN, the first FIRST_IN_MIN after start.
DEMO_WINDOW_MIN = 8
DEMO_WINDOW_EVERY_MIN = 20
DEMO_FIRST_WINDOW_IN_MIN = 1
MINUTES_PER_DAY = 24 * 60
#: The district demo's simulator plays this share of every street's grid workers and
#: members, with at most this many WebSockets in all (two cores stay responsive).
DEMO_DISTRICT_SCALE = 0.1
DEMO_DISTRICT_SOCKETS = 400


def demo_windows(now: datetime) -> str:
    """Patrol windows for a demo started at ``now`` (local time): short ones through the
    day, the first opening a minute from now (after the street is seeded)."""
    first = now.hour * 60 + now.minute + DEMO_FIRST_WINDOW_IN_MIN
    spans = []
    for start in range(first, first + MINUTES_PER_DAY, DEMO_WINDOW_EVERY_MIN):
        a, b = start % MINUTES_PER_DAY, (start + DEMO_WINDOW_MIN) % MINUTES_PER_DAY
        spans.append(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}")
    return ",".join(spans)
#: The demo street's 820 users share the password "demo": a lighter scrypt cost seeds
#: them and signs the simulated street in within seconds instead of a minute.
DEMO_SCRYPT_N = 2**11
LOCK_FILE = "demo.lock"
STATE_FILE = "demo.json"
#: What --reset removes from the data directory (the street's data; never anything else).
RESET_DIRS = ("redis", "media", "logs")
#: Keys scanned and unlinked at a time by --reset on a Redis of REDIS_URL.
RESET_BATCH = 1000
EXIT_OK = 0
EXIT_FAIL = 1


class DemoLock:
    """Held for the whole life of a demo: a second demo on the same data sees it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.handle: Any = None

    def acquire(self) -> bool:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.data_dir / LOCK_FILE, "a")  # noqa: SIM115
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            self.handle = None
            return False
        return True

    def announce(self, url: str) -> None:
        (self.data_dir / STATE_FILE).write_text(json.dumps({"url": url, "pid": os.getpid()}))

    def running_url(self) -> str:
        try:
            return str(json.loads((self.data_dir / STATE_FILE).read_text())["url"])
        except (OSError, ValueError, KeyError):
            return "(starting)"

    def release(self) -> None:
        if self.handle is not None:
            (self.data_dir / STATE_FILE).unlink(missing_ok=True)
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host if host != "0.0.0.0" else LOOPBACK, port))
        except OSError:
            return False
    return True


def served_streets(settings: Settings, *, district: bool = False) -> list[str]:
    """Every street the demo serves: the settings' (``DISPATCH_STREETS``, the district
    centre), and with the district preset every street of the district and its centre."""
    from dispatch.district import street_codes

    if district:
        from dispatch.org.district_preset import CENTRE, STREETS

        settings = settings.replace(streets=",".join(code for code, _ in STREETS),
                                    district=CENTRE)
    return street_codes(settings)


def reset_data(settings: Settings, *, district: bool = False) -> None:
    """Remove the demo's data: the embedded Redis (stopped first), photos and logs; with
    ``REDIS_URL``, the keys of every street served (see :func:`served_streets`) on that
    server."""
    codes = served_streets(settings, district=district)
    if settings.redis_url:
        asyncio.run(_delete_street_keys(str(settings.redis_url), codes))
    else:
        EmbeddedRedis(settings.redis_dir).stop()
    for name in RESET_DIRS:
        shutil.rmtree(settings.data_dir / name, ignore_errors=True)
    print(f"reset: the demo's data ({len(codes)} street{'s' if len(codes) > 1 else ''}) "
          f"under {settings.data_dir}/ was removed")


async def _delete_street_keys(url: str, codes: list[str]) -> None:
    from dispatch.bootstrap import make_redis
    from dispatch.keys import Keys

    redis = make_redis(url)
    try:
        for code in codes:
            batch: list[str] = []
            async for key in redis.scan_iter(match=Keys(code).pattern(), count=RESET_BATCH):
                batch.append(key)
                if len(batch) >= RESET_BATCH:
                    await redis.unlink(*batch)
                    batch.clear()
            if batch:
                await redis.unlink(*batch)
    finally:
        await redis.aclose()


@dataclass
class Processes:
    log_dir: Path
    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str], *,
              terminal: bool = False) -> None:
        """Start ``dispatch ARGS``; its output goes to ``<log_dir>/<name>.log`` unless
        ``terminal`` (the simulator's live figures)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        out = None if terminal else open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "dispatch", *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT if out else None,
                                start_new_session=True)
        self.children.append((name, proc))

    def dead(self) -> str | None:
        for name, proc in self.children:
            if proc.poll() is not None:
                return f"{name} exited with {proc.returncode}"
        return None

    def stop(self) -> None:
        for _, proc in self.children:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for _, proc in self.children:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()


def _demo_rules() -> str:
    return str(resources.files("dispatch.rules").joinpath(DEMO_RULES))


def _seed_if_empty(settings: Settings, password: str) -> None:
    from dispatch.bootstrap import bootstrap
    from dispatch.org.preset import street_preset
    from dispatch.org.seed import seed_org
    from dispatch.progress import Counter

    async def go() -> None:
        c = bootstrap(settings)
        try:
            if await c.org.exists():
                print("street already seeded; keeping its data")
                return
            data = street_preset()
            with Counter("seeding the street", len(data.people)) as counter:
                await seed_org(c.redis, c.keys, c.users, c.org, data, password,
                               progress=counter.update)
        finally:
            await c.aclose()

    asyncio.run(go())


def _wait_ready(url: str, procs: Processes) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        problem = procs.dead()
        if problem:
            raise RuntimeError(problem)
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(POLL_S)
    raise RuntimeError(f"the web server did not become ready at {url}")


def run_demo(settings: Settings, *, port: int | None, password: str, simulate: bool,
             reset: bool = False, district: bool = False) -> int:
    lock = DemoLock(settings.data_dir)
    if not lock.acquire():
        url = lock.running_url()
        if reset:
            print(f"a demo is running at {url}; stop it (Ctrl-C) before --reset",
                  file=sys.stderr)
            return EXIT_FAIL
        print(f"dispatch demo is already running at {url}")
        return EXIT_OK
    try:
        if reset:
            reset_data(settings, district=district)
        return _run(settings, lock, port=port, password=password, simulate=simulate,
                    district=district)
    finally:
        lock.release()


def _choose_port(settings: Settings, asked: int | None) -> int:
    """``--port``, else ``DISPATCH_PORT`` (default 8000); another free one if that is taken."""
    wanted = asked or settings.port
    if port_free(settings.host, wanted):
        return wanted
    chosen = free_port()
    print(f"port {wanted} is taken; using {chosen} (set DISPATCH_PORT to choose)")
    return chosen


def _seed_district_if_empty(settings: Settings, password: str) -> None:
    from dispatch.bootstrap import bootstrap
    from dispatch.org.district_preset import CENTRE, STREETS, centre_people, district_preset
    from dispatch.org.district_seed import seed_district
    from dispatch.progress import Counter

    async def go() -> None:
        c = bootstrap(settings.replace(street=STREETS[-1][0]))
        try:
            seeded = await c.org.exists()
        finally:
            await c.aclose()
        if seeded:
            print("district already seeded; keeping its data")
            return
        streets, centre = district_preset(), centre_people()
        total = sum(len(s.people) for s in streets) + len(centre)
        with Counter("seeding the district", total) as counter:
            await seed_district(settings, streets, CENTRE, centre, password, force=True,
                                progress=counter.update)

    asyncio.run(go())


def district_env() -> dict[str, str]:
    """What makes the demo's processes serve the whole district."""
    from dispatch.org.district_preset import CENTRE, STREETS

    return {"DISPATCH_STREETS": ",".join(code for code, _ in STREETS),
            "DISPATCH_DISTRICT": CENTRE}


def district_simulator_args(url: str, password: str) -> list[str]:
    """The district demo's simulator: every street, a share of each one's people."""
    return ["simulate", "--district", "--url", url, "--password", password,
            "--scale", str(DEMO_DISTRICT_SCALE), "--max-sockets", str(DEMO_DISTRICT_SOCKETS)]


def district_banner(url: str, password: str, streets: int, logs: Path) -> str:
    return (f"\n  dispatch is running the district ({streets} streets).\n"
            f"  District screen: {url}/district  (log in as district.screen)\n"
            f"  Command screen:  {url}/  (a street's: yuyang.screen, or any street's "
            "code.screen)\n"
            f"  District figures: {url}/api/v1/district\n"
            f"  Password of every user: {password}\n  Logs: {logs}/\n"
            "  Ctrl-C stops everything.\n")


def _run(settings: Settings, lock: DemoLock, *, port: int | None, password: str,
         simulate: bool, district: bool = False) -> int:
    redis_server = EmbeddedRedis(settings.redis_dir, settings.fsync)
    started_redis = False
    if settings.redis_url:
        redis_url = settings.redis_url
    else:
        redis_url, started_redis = redis_server.start()
    port = _choose_port(settings, port)
    windows = demo_windows(datetime.now(ZoneInfo(settings.tz)))
    env = dict(DEMO_ENV, DISPATCH_PATROL_WINDOWS=windows, **os.environ)
    env.update(REDIS_URL=redis_url, DISPATCH_PORT=str(port),
               DISPATCH_RULES=str(settings.rules_file or _demo_rules()))
    if district:
        env.update(district_env())
    settings = settings.replace(redis_url=redis_url,
                                scrypt_n=min(settings.scrypt_n, DEMO_SCRYPT_N))
    procs = Processes(settings.data_dir / "logs")
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if district:
            _seed_district_if_empty(settings, password)
        else:
            _seed_if_empty(settings, password)
        procs.start("web", ["serve", "--port", str(port)], env)
        procs.start("worker", ["worker"], env)
        procs.start("clock", ["clock"], env)
        url = f"http://{settings.host}:{port}"
        _wait_ready(url, procs)
        lock.announce(url)
        can_simulate = simulate and importlib.util.find_spec("clients.simulator.main")
        if district:
            if can_simulate:
                procs.start("simulator", district_simulator_args(url, password), env,
                            terminal=True)
            print(district_banner(url, password, len(env["DISPATCH_STREETS"].split(",")),
                                  procs.log_dir), flush=True)
        else:
            if can_simulate:
                procs.start("simulator", ["simulate", "--url", url, "--password", password],
                            env, terminal=True)
            print(f"\n  dispatch is running.\n  Command screen: {url}/\n  Field app:      "
                  f"{url}/app\n  Log in as screen1 / {password} (or disp1, admin, gw001, "
                  f"dm001: same password)\n  Logs: {procs.log_dir}/\n  Ctrl-C stops "
                  "everything.\n", flush=True)
        while not stopping:
            problem = procs.dead()
            if problem:
                print(f"stopping: {problem}", file=sys.stderr)
                return 1
            if started_redis and not redis_server.alive():
                # it crashed: back on its port, where every process reconnects by itself
                print("the embedded Redis stopped; starting it again", file=sys.stderr)
                redis_server.start()
            time.sleep(POLL_S)
        return 0
    finally:
        procs.stop()
        if started_redis:
            redis_server.stop()
        print("stopped.")
