"""A real street from files: GeoJSON grids and a TOML file of stations, departments and people.

Everything is validated before anything is stored; each problem names the file,
the entry and what is wrong.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import orjson

from dispatch.geo.validate import validate_grids
from dispatch.identity.roles import Role, scope_kind
from dispatch.identity.users import USERNAME, User
from dispatch.org.model import Department, OrgData, Person, Station, Street


class OrgFileError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise OrgFileError([f"{path.name}: cannot read: {exc}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise OrgFileError([f"{path.name}: {exc}"]) from exc


def _read_geojson(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise OrgFileError([f"{path.name}: cannot read: {exc}"]) from exc
    except orjson.JSONDecodeError as exc:
        raise OrgFileError([f"{path.name}: not JSON: {exc}"]) from exc
    if not isinstance(data, dict):
        raise OrgFileError([f"{path.name}: expected a GeoJSON FeatureCollection"])
    return data


def _entries(doc: dict[str, Any], key: str, src: str, problems: list[str]) -> list[dict[str, Any]]:
    found = doc.get(key, [])
    if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
        problems.append(f"{src}: [[{key}]] must be a list of tables")
        return []
    return found


def _street(doc: dict[str, Any], src: str, problems: list[str]) -> Street:
    s = doc.get("street")
    if not isinstance(s, dict) or not s.get("code") or not s.get("name"):
        problems.append(f"{src}: [street] needs code and name")
        return Street("unknown", "unknown")
    return Street(str(s["code"]), str(s["name"]), str(s.get("name_en", "")),
                  str(s.get("district", "")))


def _person(i: int, e: dict[str, Any], src: str, known: dict[str, set[str]],
            problems: list[str]) -> Person | None:
    where = f"{src}: user[{i}] ({e.get('username', '?')})"
    username = str(e.get("username", ""))
    if not USERNAME.match(username):
        problems.append(f"{where}: bad or missing username")
        return None
    try:
        role = Role(str(e.get("role")))
    except ValueError:
        problems.append(f"{where}: unknown role {e.get('role')!r}")
        return None
    scope = e.get("scope")
    kind = scope_kind(role)
    if kind is not None and str(scope) not in known[kind]:
        problems.append(f"{where}: {kind} {scope!r} is not defined")
        return None
    device = e.get("device")
    return Person(User(username, role, str(scope) if kind else None, str(e.get("name", ""))),
                  str(device) if device else None)


def _check_people(people: list[Person], src: str, problems: list[str]) -> None:
    seen: set[str] = set()
    devices: set[str] = set()
    workers: dict[str, str] = {}
    for p in people:
        u = p.user
        if u.username in seen:
            problems.append(f"{src}: user {u.username}: defined twice")
        seen.add(u.username)
        if p.device:
            if p.device in devices:
                problems.append(f"{src}: user {u.username}: device {p.device} is taken")
            devices.add(p.device)
        if u.role is Role.GRID_WORKER and u.scope:
            if u.scope in workers:
                problems.append(f"{src}: user {u.username}: grid {u.scope} already has "
                                f"worker {workers[u.scope]}")
            workers[u.scope] = u.username


def load_org(grids_path: Path, org_path: Path) -> OrgData:
    """Read and validate both files; raise OrgFileError listing every problem."""
    grids = _read_geojson(grids_path)
    doc = read_toml(org_path)
    src = org_path.name
    problems: list[str] = []
    street = _street(doc, src, problems)
    stations = [Station(str(e.get("id")), str(e.get("name", "")), str(e.get("name_en", "")))
                for e in _entries(doc, "station", src, problems)]
    departments = [Department(str(e.get("id")), str(e.get("name", "")),
                              str(e.get("name_en", "")))
                   for e in _entries(doc, "department", src, problems)]
    station_ids = {s.id for s in stations}
    problems += [str(p) for p in validate_grids(grids, source=grids_path.name,
                                                known_stations=station_ids)]
    grid_ids = {str(f.get("properties", {}).get("id")) for f in grids.get("features", [])
                if isinstance(f, dict)}
    known = {"grid": grid_ids, "department": {d.id for d in departments},
             "station": station_ids}
    people = [p for i, e in enumerate(_entries(doc, "user", src, problems))
              if (p := _person(i, e, src, known, problems)) is not None]
    _check_people(people, src, problems)
    if problems:
        raise OrgFileError(problems)
    return OrgData(street, stations, grids, departments, people)


def toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dump_org_toml(data: OrgData) -> str:
    """The organisation file of ``data`` (the format load_org reads)."""
    s = data.street
    lines = ["[street]", f"code = {toml_str(s.code)}", f"name = {toml_str(s.name)}",
             f"name_en = {toml_str(s.name_en)}", f"district = {toml_str(s.district)}", ""]
    for st in data.stations:
        lines += ["[[station]]", f"id = {toml_str(st.id)}", f"name = {toml_str(st.name)}",
                  f"name_en = {toml_str(st.name_en)}", ""]
    for d in data.departments:
        lines += ["[[department]]", f"id = {toml_str(d.id)}", f"name = {toml_str(d.name)}",
                  f"name_en = {toml_str(d.name_en)}", ""]
    for p in data.people:
        u = p.user
        lines += ["[[user]]", f"username = {toml_str(u.username)}",
                  f"name = {toml_str(u.name)}", f"role = {toml_str(u.role.value)}"]
        if u.scope:
            lines.append(f"scope = {toml_str(u.scope)}")
        if p.device:
            lines.append(f"device = {toml_str(p.device)}")
        lines.append("")
    return "\n".join(lines)


def export_org(data: OrgData, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    grids = directory / "grids.geojson"
    org = directory / "org.toml"
    grids.write_bytes(orjson.dumps(data.grids, option=orjson.OPT_INDENT_2))
    org.write_text(dump_org_toml(data), encoding="utf-8")
    return grids, org
