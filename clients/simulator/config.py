"""Command-line options of the simulator and the constants of its street."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

_T = TypeVar("_T")

DEFAULT_URL = "http://127.0.0.1:8000"
PASSWORD_ENV = "DISPATCH_SIM_PASSWORD"
DEFAULT_PASSWORD = "demo"
STREET_WORKERS = 108
STREET_MEMBERS = 240
DEFAULT_SCREENS = 3
DEFAULT_SPEED = 1.0

#: Mean simulated seconds between two reports of one grid worker.
DEFAULT_REPORT_EVERY_S = 600.0
#: Shares of the grid workers speaking each phone protocol (the rest use /ws/phone).
DEFAULT_OSMAND_SHARE = 0.1
DEFAULT_OWNTRACKS_SHARE = 0.1
#: Shares of reports that are bad (must be refused), duplicates, idempotent retries.
DEFAULT_BAD_SHARE = 0.05
DEFAULT_DUPLICATE_SHARE = 0.06
DEFAULT_RETRY_SHARE = 0.05
#: Share of resolved cases the grid worker fails on verification (返工).
DEFAULT_VERIFY_FAIL_SHARE = 0.15
#: Share of jobs a member finishes late (the light turns yellow, then red).
DEFAULT_LATE_SHARE = 0.25
#: Share of offered jobs sent back as not the department's (回退).
DEFAULT_REJECT_SHARE = 0.05
#: Patrol length and rest between patrols, in simulated minutes.
DEFAULT_PATROL_MIN = 6.0
DEFAULT_PATROL_REST_MIN = 2.0

#: District mode: every street at once, each phone on one of the three protocols
#: (70% our socket, 20% OsmAnd, 10% OwnTracks), a share of each street's people
#: (--scale) and at most DEFAULT_MAX_SOCKETS WebSockets in all.
DISTRICT_OSMAND_SHARE = 0.2
DISTRICT_OWNTRACKS_SHARE = 0.1
DEFAULT_SCALE = 0.25
DEFAULT_MAX_SOCKETS = 600
DISTRICT_SCREENS = 1
DEFAULT_DISTRICT_USER = "district.screen"
DEFAULT_DISTRICT_POLL_S = 10.0
#: A district street's user names carry its code: ``yuyang.gw001``; its screen is
#: ``yuyang.screen``.
STREET_USER_SEP = "."
STREET_SCREEN_USER = "screen1"
DISTRICT_STREET_SCREEN_USER = "screen"

#: Load mode defaults: one ping per phone every few seconds.
DEFAULT_LOAD_INTERVAL_S = 5.0
DEFAULT_LOAD_DURATION_S = 60.0


@dataclass(frozen=True)
class SimConfig:
    url: str = DEFAULT_URL
    password: str = DEFAULT_PASSWORD
    workers: int = STREET_WORKERS
    members: int = STREET_MEMBERS
    screens: int = DEFAULT_SCREENS
    speed: float = DEFAULT_SPEED
    duration_s: float | None = None
    seed: int | None = None
    report_every_s: float = DEFAULT_REPORT_EVERY_S
    osmand_share: float = DEFAULT_OSMAND_SHARE
    owntracks_share: float = DEFAULT_OWNTRACKS_SHARE
    bad_share: float = DEFAULT_BAD_SHARE
    duplicate_share: float = DEFAULT_DUPLICATE_SHARE
    retry_share: float = DEFAULT_RETRY_SHARE
    verify_fail_share: float = DEFAULT_VERIFY_FAIL_SHARE
    late_share: float = DEFAULT_LATE_SHARE
    reject_share: float = DEFAULT_REJECT_SHARE
    patrol_min: float = DEFAULT_PATROL_MIN
    patrol_rest_min: float = DEFAULT_PATROL_REST_MIN
    # load mode
    phones: int = 0
    interval_s: float = DEFAULT_LOAD_INTERVAL_S
    reports_per_s: float = 0.0
    server_pid: int | None = None
    plain: bool = False
    quiet: bool = False
    # district mode
    district: bool = False
    #: The streets played (empty: every street the district user sees).
    streets: tuple[str, ...] = ()
    scale: float = DEFAULT_SCALE
    max_sockets: int = DEFAULT_MAX_SOCKETS
    district_user: str = DEFAULT_DISTRICT_USER
    district_poll_s: float = DEFAULT_DISTRICT_POLL_S
    #: Prefix of every user name of the street played (``yuyang.`` in a district).
    prefix: str = ""
    #: The street's screen user (after ``prefix``).
    screen_user: str = STREET_SCREEN_USER
    #: Department leads signed in (None: every department's).
    leads: int | None = None

    @property
    def load_mode(self) -> bool:
        return self.phones > 0

    @property
    def ws_base(self) -> str:
        return "ws" + self.url[len("http"):] if self.url.startswith("http") else self.url


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0.0:
        raise argparse.ArgumentTypeError(f"{text} is not positive")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dispatch simulate",
        description="Play a whole street against a running server: grid workers' phones, "
                    "disposal members, dispatchers and command screens. With --phones, "
                    "run a load test instead and print one table at the end.")
    p.add_argument("--url", default=DEFAULT_URL, help="the server (default %(default)s)")
    p.add_argument("--password", default=os.environ.get(PASSWORD_ENV, DEFAULT_PASSWORD),
                   help=f"every user's password (default ${PASSWORD_ENV} or 'demo')")
    p.add_argument("--workers", type=int, default=STREET_WORKERS, help="grid workers gw001..")
    p.add_argument("--members", type=int, default=STREET_MEMBERS,
                   help="disposal members, spread over the departments")
    p.add_argument("--screens", type=int, default=None,
                   help=f"screen sockets (of each street; default {DEFAULT_SCREENS}, "
                        f"district {DISTRICT_SCREENS})")
    p.add_argument("--speed", type=_positive, default=DEFAULT_SPEED,
                   help="time acceleration of the walk and of human delays (1 = real time)")
    p.add_argument("--duration", type=_positive, default=None,
                   help="seconds to run (default: until Ctrl-C; load mode: 60)")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.add_argument("--report-every", type=_positive, default=DEFAULT_REPORT_EVERY_S,
                   help="mean simulated seconds between two reports of a worker")
    p.add_argument("--osmand-share", type=_share, default=None,
                   help=f"share of phones on OsmAnd / Traccar Client (default "
                        f"{DEFAULT_OSMAND_SHARE}; district {DISTRICT_OSMAND_SHARE})")
    p.add_argument("--owntracks-share", type=_share, default=None,
                   help=f"share of phones on OwnTracks (default {DEFAULT_OWNTRACKS_SHARE}; "
                        f"district {DISTRICT_OWNTRACKS_SHARE}); the rest use /ws/phone")
    p.add_argument("--bad-share", type=_share, default=DEFAULT_BAD_SHARE,
                   help="share of reports that must be refused")
    p.add_argument("--duplicate-share", type=_share, default=DEFAULT_DUPLICATE_SHARE)
    p.add_argument("--retry-share", type=_share, default=DEFAULT_RETRY_SHARE)
    p.add_argument("--verify-fail-share", type=_share, default=DEFAULT_VERIFY_FAIL_SHARE)
    p.add_argument("--late-share", type=_share, default=DEFAULT_LATE_SHARE)
    p.add_argument("--reject-share", type=_share, default=DEFAULT_REJECT_SHARE)
    p.add_argument("--patrol-minutes", type=_positive, default=DEFAULT_PATROL_MIN,
                   help="simulated length of one patrol")
    p.add_argument("--patrol-rest-minutes", type=_positive, default=DEFAULT_PATROL_REST_MIN)
    p.add_argument("--plain", action="store_true", help="a plain line per second, no table")
    p.add_argument("--quiet", action="store_true", help="no live figures")
    district = p.add_argument_group("district mode")
    district.add_argument("--district", action="store_true",
                          help="play every street of a district deployment at once")
    district.add_argument("--streets", default="",
                          help="comma-separated street codes (default: every street)")
    district.add_argument("--scale", type=_share, default=DEFAULT_SCALE,
                          help="share of each street's grid workers and members played "
                               "(default %(default)s)")
    district.add_argument("--max-sockets", type=int, default=DEFAULT_MAX_SOCKETS,
                          help="most WebSockets in all; the streets' people are scaled "
                               "down to fit (default %(default)s)")
    district.add_argument("--district-user", default=DEFAULT_DISTRICT_USER,
                          help="the district centre's user whose view is polled")
    district.add_argument("--district-poll", type=_positive, default=DEFAULT_DISTRICT_POLL_S,
                          help="seconds between two polls of GET /api/v1/district")
    load = p.add_argument_group("load mode")
    load.add_argument("--phones", type=int, default=0, help="synthetic phones (enables load mode)")
    load.add_argument("--interval", type=_positive, default=DEFAULT_LOAD_INTERVAL_S,
                      help="seconds between two pings of a phone")
    load.add_argument("--reports-per-s", type=float, default=0.0, help="reports per second")
    load.add_argument("--server-pid", type=int, default=None,
                      help="read the server's RSS from /proc when /metrics does not tell it")
    return p


def parse_args(argv: Sequence[str]) -> SimConfig:
    a = parser().parse_args(list(argv))
    duration = a.duration
    if duration is None and a.phones > 0:
        duration = DEFAULT_LOAD_DURATION_S
    return SimConfig(
        url=a.url.rstrip("/"), password=a.password, workers=max(0, a.workers),
        members=max(0, a.members), speed=a.speed,
        screens=max(0, _default(a.screens, DISTRICT_SCREENS if a.district
                                else DEFAULT_SCREENS)),
        duration_s=duration, seed=a.seed, report_every_s=a.report_every,
        osmand_share=_default(a.osmand_share, DISTRICT_OSMAND_SHARE if a.district
                              else DEFAULT_OSMAND_SHARE),
        owntracks_share=_default(a.owntracks_share, DISTRICT_OWNTRACKS_SHARE if a.district
                                 else DEFAULT_OWNTRACKS_SHARE),
        bad_share=a.bad_share, duplicate_share=a.duplicate_share, retry_share=a.retry_share,
        verify_fail_share=a.verify_fail_share, late_share=a.late_share,
        reject_share=a.reject_share, patrol_min=a.patrol_minutes,
        patrol_rest_min=a.patrol_rest_minutes, phones=max(0, a.phones),
        interval_s=a.interval, reports_per_s=max(0.0, a.reports_per_s),
        server_pid=a.server_pid, plain=a.plain, quiet=a.quiet, district=a.district,
        streets=tuple(c.strip() for c in a.streets.split(",") if c.strip()),
        scale=a.scale, max_sockets=max(1, a.max_sockets), district_user=a.district_user,
        district_poll_s=a.district_poll,
    )


def _default(value: _T | None, default: _T) -> _T:
    return default if value is None else value
