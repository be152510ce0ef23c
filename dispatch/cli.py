"""The ``dispatch`` command: serve, worker, clock, redis, seed, users, rules, demo."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dispatch.settings import Settings

if TYPE_CHECKING:
    from dispatch.org.district_files import District

Handler = Callable[[argparse.Namespace, Settings], int]
EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


def run(coro: Coroutine[Any, Any, int]) -> int:
    return asyncio.run(coro)


# --- serve / worker / clock -------------------------------------------------
def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.server import serve

    serve(settings.replace(host=args.host or settings.host, port=args.port or settings.port,
                           web_workers=args.workers or settings.web_workers))
    return EXIT_OK


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.jobs.worker import run_worker

    return run_worker(settings, burst=args.burst)


def cmd_clock(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.jobs.clock import run_clock

    return run_clock(settings)


# --- redis ------------------------------------------------------------------
def cmd_redis(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(settings.redis_dir, settings.fsync)
    if args.action == "start":
        url, started = server.start()
        print(f"{'started' if started else 'already running'}: {url}")
    elif args.action == "stop":
        print("stopped" if server.stop() else "not running")
    else:
        running = server.status()
        print(f"running: {running}" if running else "not running")
        return EXIT_OK if running else EXIT_FAIL
    return EXIT_OK


# --- seed -------------------------------------------------------------------
def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.org.files import OrgFileError, export_org, load_org
    from dispatch.org.preset import street_preset

    if args.district or args.preset == "district":
        return _cmd_seed_district(args, settings)
    try:
        if args.preset:
            data = street_preset()
        elif args.grids and args.org:
            data = load_org(Path(args.grids), Path(args.org))
        else:
            print("seed needs --preset street|district, --grids FILE --org FILE, or "
                  "--district DIR", file=sys.stderr)
            return EXIT_USAGE
    except OrgFileError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing was stored", file=sys.stderr)
        return EXIT_FAIL
    if args.export:
        for path in export_org(data, Path(args.export)):
            print(f"wrote {path}")
        return EXIT_OK
    password = str(args.password or getpass.getpass("password for every seeded user: "))
    return run(_seed(settings, data, password, args.force))


def _cmd_seed_district(args: argparse.Namespace, settings: Settings) -> int:
    """``seed --district DIR`` (a district from files) or ``--preset district``; with
    ``--export DIR``, the district written in the files' layout instead of stored."""
    from dispatch.org.district_files import export_district, load_district, preset_district
    from dispatch.org.files import OrgFileError

    if args.grids or args.org or (args.district and args.preset):
        print("seed --district DIR goes alone (not with --preset, --grids or --org)",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        district = load_district(Path(args.district)) if args.district else preset_district()
    except OrgFileError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing was stored", file=sys.stderr)
        return EXIT_FAIL
    if args.export:
        written = export_district(district, Path(args.export))
        print(f"wrote {len(written)} files ({len(district.streets)} streets) to {args.export}")
        return EXIT_OK
    password = str(args.password or getpass.getpass("password for every seeded user: "))
    return run(_seed_district(settings, district, password, args.force))


async def _seed_district(settings: Settings, district: District, password: str,
                         force: bool) -> int:
    from dispatch.errors import DispatchError
    from dispatch.org.district_seed import seed_district
    from dispatch.progress import Counter

    streets, centre = district.streets, district.centre
    total = sum(len(s.people) for s in streets) + len(centre)
    try:
        with Counter("hashing passwords", total) as counter:
            report = await seed_district(settings, streets, district.code, centre, password,
                                         force=force, progress=counter.update)
    except DispatchError as exc:
        print(f"refused: {exc.message}", file=sys.stderr)
        return EXIT_FAIL
    print(f"seeded {len(report.streets)} streets, {report.grids} grids, "
          f"{report.users} users; the district centre is {district.code}")
    print(f"serve them with DISPATCH_STREETS={','.join(report.streets)} "
          f"DISPATCH_DISTRICT={district.code}")
    return EXIT_OK


async def _seed(settings: Settings, data: Any, password: str, force: bool) -> int:
    from dispatch.bootstrap import bootstrap
    from dispatch.errors import DispatchError
    from dispatch.org.seed import seed_org
    from dispatch.progress import Counter

    c = bootstrap(settings)
    try:
        with Counter("hashing passwords", len(data.people)) as counter:
            report = await seed_org(c.redis, c.keys, c.users, c.org, data, password,
                                    force=force, progress=counter.update)
    except DispatchError as exc:
        print(f"refused: {exc.message}", file=sys.stderr)
        return EXIT_FAIL
    finally:
        await c.aclose()
    print(f"seeded {data.street.name} ({data.street.code}): {report.stations} stations, "
          f"{report.grids} grids, {report.departments} departments, "
          f"{report.total_users} users")
    for role, count in report.users.items():
        print(f"  {role:16} {count}")
    return EXIT_OK


# --- the street a command acts on ----------------------------------------------
def _street_settings(args: argparse.Namespace, settings: Settings) -> Settings | None:
    """``settings`` for the street named by ``--street`` (default the home street); None,
    said why, when this deployment serves no such street."""
    from dispatch.district import street_codes

    codes = street_codes(settings)
    code = getattr(args, "street", None) or codes[0]
    if code not in codes:
        print(f"no street {code} is served here (DISPATCH_STREETS: {', '.join(codes)})",
              file=sys.stderr)
        return None
    return settings.replace(street=code)


def _street_arg(s: argparse.ArgumentParser) -> None:
    s.add_argument("--street", metavar="CODE",
                   help="the street to act on (default the home street)")


# --- users ------------------------------------------------------------------
def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    street = _street_settings(args, settings)
    return EXIT_USAGE if street is None else run(_users(args, street))


async def _users(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.bootstrap import bootstrap
    from dispatch.errors import DispatchError
    from dispatch.identity.roles import Role
    from dispatch.identity.users import User

    c = bootstrap(settings)
    try:
        if args.action == "list":
            for u in await c.users.all(Role(args.role) if args.role else None):
                flag = " (disabled)" if u.disabled else ""
                print(f"{u.username:10} {u.role.value:16} {u.scope or '-':6} {u.name}{flag}")
        elif args.action == "add":
            password = args.password or getpass.getpass("password: ")
            await c.users.add(User(args.username, Role(args.role), args.scope, args.name or ""),
                              password)
            print(f"added {args.username}")
        elif args.action == "reset":
            password = args.password or getpass.getpass("new password: ")
            await c.users.set_password(args.username, password)
            revoked = await c.tokens.revoke_all(args.username)
            print(f"password reset for {args.username}; {revoked} token(s) revoked")
        elif args.action == "revoke":
            print(f"{await c.tokens.revoke_all(args.username)} token(s) revoked")
        elif args.action in {"disable", "enable"}:
            await c.users.set_disabled(args.username, args.action == "disable")
            await c.tokens.revoke_all(args.username)
            print(f"{args.username} {args.action}d")
    except DispatchError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_FAIL
    finally:
        await c.aclose()
    return EXIT_OK


# --- open311 ----------------------------------------------------------------
def cmd_open311(args: argparse.Namespace, settings: Settings) -> int:
    street = _street_settings(args, settings)
    return EXIT_USAGE if street is None else run(_open311_keys(args, street))


async def _open311_keys(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.bootstrap import bootstrap
    from dispatch.errors import DispatchError

    c = bootstrap(settings)
    store = c.open311.apikeys
    try:
        if args.action == "add":
            rate = args.rate or settings.open311_key_rate
            key, record = await store.add(args.name, rate)
            print(f"added key {record.id} ({record.name}, {rate} requests per "
                  f"{settings.open311_window_s} s)")
            print(f"api_key: {key}")
            print("it is shown only now: give it to the system that files requests")
        elif args.action == "list":
            for k in await store.all():
                state = "revoked" if k.revoked else "active"
                print(f"{k.id}  {k.name:24} {k.rate:6}/{settings.open311_window_s}s  {state}")
        else:
            record = await store.revoke(args.name)
            print(f"revoked key {record.id} ({record.name})")
    except DispatchError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_FAIL
    finally:
        await c.aclose()
    return EXIT_OK


# --- rules ------------------------------------------------------------------
def cmd_rules(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.rules_admin import check_file, reload_rules

    if args.action == "check":
        return check_file(Path(args.file))
    street = _street_settings(args, settings)
    if street is None:
        return EXIT_USAGE
    return int(run(reload_rules(street, Path(args.file) if args.file else None)))


# --- backup / restore -------------------------------------------------------
def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.backup import BackupError, backup, backup_all

    out = Path(args.out) if args.out else None
    try:
        if args.all:
            written = run_any(backup_all(settings, out))
        else:
            written = [run_any(backup(settings, out, street=args.street))]
    except BackupError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_FAIL
    for done in written:
        print(f"wrote {done.path}: street {done.street}, {done.keys} keys, {done.photos} photos")
    return EXIT_OK


def cmd_archive(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.bootstrap import bootstrap

    street = _street_settings(args, settings)
    if street is None:
        return EXIT_USAGE
    settings = street

    async def go() -> tuple[int, int]:
        c = bootstrap(settings)
        try:
            moved = 0 if args.status else await c.archive.compact_all(c.clock())
            return moved, await c.archive.count()
        finally:
            await c.aclose()

    moved, held = run_any(go())
    if not args.status:
        print(f"archived {moved} closed cases (untouched for {settings.archive_after_s} s)")
    print(f"{held} cases in the archive")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.backup import BackupError, restore

    for file in args.files:
        try:
            done = run_any(restore(settings, Path(file), force=args.force))
        except BackupError as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return EXIT_FAIL
        print(f"restored street {done.street} from {done.path}: {done.keys} keys, "
              f"{done.photos} photos")
    return EXIT_OK


def run_any(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


# --- demo / simulate --------------------------------------------------------
def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from dispatch.demo import run_demo

    return run_demo(settings, port=args.port, password=args.password, simulate=not args.quiet,
                    reset=args.reset, district=args.preset == "district")


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from clients.simulator.main import main as simulate

    return int(simulate(args.rest))


# --- parser -----------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dispatch", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the web server")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=int,
                   help="web processes on the port (default DISPATCH_WEB_WORKERS, 1)")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("worker", help="run an RQ worker")
    s.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    s.set_defaults(func=cmd_worker)

    sub.add_parser("clock", help="run the clock process").set_defaults(func=cmd_clock)

    s = sub.add_parser("redis", help="the managed embedded Redis")
    s.add_argument("action", choices=["start", "stop", "status"])
    s.set_defaults(func=cmd_redis)

    s = sub.add_parser("seed", help="store a street's organisation and people")
    s.add_argument("--preset", choices=["street", "district"],
                   help="the reference street of docs/domain.md, or a Jizhou-scale district "
                        "(26 streets, 1,248 grids, every street under its own code)")
    s.add_argument("--grids", help="GeoJSON FeatureCollection of the grids")
    s.add_argument("--org", help="TOML file of stations, departments and people")
    s.add_argument("--password", help="password of every seeded user")
    s.add_argument("--force", action="store_true", help="replace existing data")
    s.add_argument("--district", metavar="DIR",
                   help="a district from files: DIR/district.toml (code, name, the centre's "
                        "people) and DIR/<street>/grids.geojson + org.toml per street")
    s.add_argument("--export", metavar="DIR", help="write the files instead of storing them")
    s.set_defaults(func=cmd_seed)

    s = sub.add_parser("users", help="add, list, reset, revoke, disable users")
    s.add_argument("action", choices=["list", "add", "reset", "revoke", "disable", "enable"])
    s.add_argument("username", nargs="?")
    s.add_argument("--role")
    s.add_argument("--scope")
    s.add_argument("--name")
    s.add_argument("--password")
    _street_arg(s)
    s.set_defaults(func=cmd_users)

    s = sub.add_parser("open311", help="Open311 API keys of the systems that file requests")
    s.add_argument("what", choices=["keys"])
    s.add_argument("action", choices=["add", "list", "revoke"])
    s.add_argument("name", nargs="?", help="the key's name (add) or id (revoke)")
    s.add_argument("--rate", type=int, help="requests per window (default "
                   "DISPATCH_OPEN311_KEY_RATE)")
    _street_arg(s)
    s.set_defaults(func=cmd_open311)

    s = sub.add_parser("rules", help="check or reload the routing rules")
    s.add_argument("action", choices=["check", "reload"])
    s.add_argument("file", nargs="?")
    _street_arg(s)
    s.set_defaults(func=cmd_rules)

    s = sub.add_parser("backup", help="write a street's data and photos to an archive")
    s.add_argument("--out", metavar="PATH",
                   help="the archive (default: $DISPATCH_DATA/backups/dispatch-STREET-TIME.tar.gz);"
                        " with --all, the directory of the archives")
    which = s.add_mutually_exclusive_group()
    which.add_argument("--street", metavar="CODE",
                       help="the street to back up (default: the home street, DISPATCH_STREET)")
    which.add_argument("--all", action="store_true",
                       help="every street of the deployment (DISPATCH_STREETS), one archive each")
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("archive", help="compact every closed case due into the archive now "
                       "(the clock does it as it goes)")
    s.add_argument("--status", action="store_true", help="only count the archived cases")
    _street_arg(s)
    s.set_defaults(func=cmd_archive)

    s = sub.add_parser("restore", help="put backup archives back (each replaces its street's "
                       "data, the other streets untouched)")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("--force", action="store_true", help="replace a street that has data")
    s.set_defaults(func=cmd_restore)

    s = sub.add_parser("demo", help="everything together, with the simulated street "
                       "(or the simulated district)")
    s.add_argument("--port", type=int, default=None)
    s.add_argument("--password", default="demo")
    s.add_argument("--quiet", action="store_true", help="no simulator")
    s.add_argument("--preset", choices=["street", "district"], default="street",
                   help="the reference street, or the Jizhou-scale district: 26 streets and "
                        "the district centre, the simulator playing every street at once")
    s.add_argument("--reset", action="store_true",
                   help="start from empty streets (removes the demo's data of every street "
                        "served first)")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("simulate", help="play the street against a running server",
                       add_help=False)
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_simulate)
    return p


def _needs_username(args: argparse.Namespace) -> str | None:
    if args.command == "users" and args.action != "list" and not args.username:
        return f"users {args.action} needs a user name"
    if args.command == "users" and args.action == "add" and not args.role:
        return "users add needs --role"
    if args.command == "open311" and args.action != "list" and not args.name:
        return f"open311 keys {args.action} needs a {'name' if args.action == 'add' else 'key id'}"
    if args.command == "rules" and args.action == "check" and not args.file:
        return "rules check needs a FILE"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args, unknown = p.parse_known_args(argv)
    if args.command == "simulate":  # everything after `simulate` is the simulator's
        args.rest = [*unknown, *args.rest]
    elif unknown:
        p.error(f"unrecognized arguments: {' '.join(unknown)}")
    problem = _needs_username(args)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    from dispatch.logs import install as install_redaction

    install_redaction()  # no secret in any line this process logs
    settings = Settings.from_env()
    problem = _redis_problem(args, settings)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_FAIL
    handler: Handler = args.func
    return handler(args, settings)


#: Commands that do not use the configured Redis themselves.
NO_REDIS_COMMANDS = frozenset({"redis", "simulate"})


def _redis_problem(args: argparse.Namespace, settings: Settings) -> str | None:
    """Why REDIS_URL / REDIS_QUEUE_URL cannot work (a cluster without a queue server)."""
    if args.command in NO_REDIS_COMMANDS or not settings.redis_url:
        return None
    from dispatch.connections import RedisConfigError, queue_url

    try:
        queue_url(settings.redis_url, settings.redis_queue_url)
    except RedisConfigError as exc:
        return f"dispatch {args.command}: {exc}"
    return None
