"""Benchmark: the standard load, end to end, on this machine.

Starts its own redis-server (the embedded binary) and ``dispatch serve`` (plus the RQ
worker and the clock, as in production) on free ports, seeds the reference street,
then runs the simulator's load mode: 5,000 phones at one ping per 5 s and 100
reports a second for 60 s. Prints the simulator's table, then the server's CPU.

Run from the repository root:  python bench/bench_load.py [--phones N] [--duration S]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dispatch.embedded_redis import find_binary, free_port, ping  # noqa: E402

PHONES = 5_000
INTERVAL_S = 5.0
REPORTS_PER_S = 100.0
DURATION_S = 60.0
PASSWORD = "bench-pass"
#: Password hashing is not what this measures: a cheaper scrypt seeds and signs in faster.
SCRYPT_N = 1024
LOGIN_LIMIT = 1_000_000
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
POLL_S = 0.2
#: The simulator's own time to sign in, connect and print, beyond --duration.
SIMULATOR_SLACK_S = 300.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: utime, stime, cutime, cstime in /proc/PID/stat, counted after the command's ")".
STAT_CPU_FIELDS = (11, 12, 13, 14)
PERCENT = 100.0
BYTES_PER_KB = 1024
BYTES_PER_MB = 1024 * 1024


def phase(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and of its children waited for (the RQ
    worker forks one per job), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(fields[i]) for i in STAT_CPU_FIELDS) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * BYTES_PER_KB / BYTES_PER_MB
    except OSError:
        pass
    return 0.0


class Stack:
    """redis-server and the dispatch processes, stopped in reverse order."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.env = dict(os.environ)

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None
              ) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        proc = subprocess.Popen(args, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def dispatch(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        return self.start(name, [sys.executable, "-m", "dispatch", *args])

    def check(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                log = (self.workdir / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log}")

    def stop(self) -> None:
        for _, proc in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_redis(stack: Stack) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    data = stack.workdir / "redis"
    data.mkdir()
    proc = stack.start("redis", [str(find_binary()), "--port", str(port), "--bind", "127.0.0.1",
                                 "--dir", str(data), "--save", "", "--appendonly", "no"])
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ping(url):
        stack.check()
        if time.monotonic() > deadline:
            raise RuntimeError("redis-server did not start")
        time.sleep(POLL_S)
    return url, proc


def wait_ready(stack: Stack, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        stack.check()
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=1).status_code == httpx.codes.OK:
                return
        time.sleep(POLL_S)
    raise RuntimeError(f"the server did not become ready at {url}")


def simulate_args(args: argparse.Namespace, url: str, server_pid: int) -> list[str]:
    return [sys.executable, "-m", "clients.simulator.main", "--url", url,
            "--password", PASSWORD, "--phones", str(args.phones),
            "--interval", str(args.interval), "--duration", str(args.duration),
            "--reports-per-s", str(args.reports_per_s), "--screens", str(args.screens),
            "--server-pid", str(server_pid), "--seed", str(args.seed)]


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="dispatch-bench-") as tmp:
        stack = Stack(Path(tmp))
        try:
            phase("starting redis-server")
            redis_url, redis_proc = start_redis(stack)
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            stack.env.update(REDIS_URL=redis_url, DISPATCH_DATA=str(Path(tmp) / "data"),
                             DISPATCH_PORT=str(port), DISPATCH_SCRYPT_N=str(SCRYPT_N),
                             DISPATCH_LOGIN_LIMIT_ADDR=str(LOGIN_LIMIT),
                             DISPATCH_LOGIN_LIMIT_USER=str(LOGIN_LIMIT))
            phase("seeding the street")
            subprocess.run([sys.executable, "-m", "dispatch", "seed", "--preset", "street",
                            "--password", PASSWORD], env=stack.env, check=True,
                           stdout=subprocess.DEVNULL)
            phase(f"starting dispatch serve on {url}")
            server = stack.dispatch("web", "serve", "--port", str(port))
            watched = {"server": server.pid, "redis": redis_proc.pid}
            if not args.web_only:
                watched["rq worker"] = stack.dispatch("worker", "worker").pid
                watched["clock"] = stack.dispatch("clock", "clock").pid
            wait_ready(stack, url)
            phase(f"load: {args.phones} phones, one ping per {args.interval:g} s, "
                  f"{args.reports_per_s:g} reports/s, {args.duration:g} s")
            cpu0 = {name: cpu_seconds(pid) for name, pid in watched.items()}
            wall0 = time.monotonic()
            done = subprocess.run(simulate_args(args, url, server.pid), env=stack.env,
                                  timeout=args.duration + SIMULATOR_SLACK_S, check=False)
            wall = time.monotonic() - wall0
            used = ", ".join(
                f"{name} {(cpu_seconds(pid) - cpu0[name]) / wall * PERCENT:.0f}% "
                f"({rss_mb(pid):.0f} MB)" for name, pid in watched.items())
            print(f"CPU of one core over the whole run, sign-in and connect included: {used}; "
                  f"{os.cpu_count()} cores")
            return done.returncode
        finally:
            phase("stopping")
            stack.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--phones", type=int, default=PHONES)
    p.add_argument("--interval", type=float, default=INTERVAL_S)
    p.add_argument("--reports-per-s", type=float, default=REPORTS_PER_S)
    p.add_argument("--duration", type=float, default=DURATION_S)
    p.add_argument("--screens", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--web-only", action="store_true", help="no RQ worker and no clock")
    return run(p.parse_args())


if __name__ == "__main__":
    sys.exit(main())
