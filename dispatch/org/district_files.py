"""A real district from files: a directory with the district's own file and, per street,
the grids and organisation files a street is seeded from (:mod:`dispatch.org.files`).

Layout::

    DIR/district.toml            [district] code, name, name_en, streets = [codes];
                                 [[user]] the district centre's people (no scope)
    DIR/<street>/grids.geojson   the street's grids (as ``dispatch seed --grids``)
    DIR/<street>/org.toml        its stations, departments and people (as ``--org``)

Everything is read and validated before anything is stored; every problem is listed,
each naming its file (``<street>/org.toml: ...``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dispatch.identity.roles import Role, scope_kind
from dispatch.identity.users import USERNAME, User
from dispatch.keys import STREET_CODE
from dispatch.org.files import OrgFileError, export_org, load_org, read_toml, toml_str
from dispatch.org.model import OrgData

DISTRICT_FILE = "district.toml"
GRIDS_FILE = "grids.geojson"
ORG_FILE = "org.toml"


@dataclass(frozen=True)
class District:
    code: str
    name: str
    name_en: str
    streets: list[OrgData]
    #: The district centre's own people.
    centre: list[User]


def _header(doc: dict[str, Any], problems: list[str]) -> tuple[str, str, str, list[str] | None]:
    d = doc.get("district")
    if not isinstance(d, dict):
        problems.append(f"{DISTRICT_FILE}: [district] needs code and name")
        return "", "", "", None
    code, name = str(d.get("code", "")), str(d.get("name", ""))
    if not STREET_CODE.match(code):
        problems.append(f"{DISTRICT_FILE}: [district] code {code!r} must match "
                        f"{STREET_CODE.pattern}")
    if not name:
        problems.append(f"{DISTRICT_FILE}: [district] needs a name")
    listed = d.get("streets")
    if listed is not None and (not isinstance(listed, list)
                               or not all(isinstance(s, str) for s in listed)):
        problems.append(f"{DISTRICT_FILE}: [district] streets is a list of street codes")
        listed = None
    return code, name, str(d.get("name_en", "")), listed


def _centre_people(doc: dict[str, Any], problems: list[str]) -> list[User]:
    entries = doc.get("user", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.append(f"{DISTRICT_FILE}: [[user]] must be a list of tables")
        return []
    people: list[User] = []
    seen: set[str] = set()
    for i, e in enumerate(entries):
        where = f"{DISTRICT_FILE}: user[{i}] ({e.get('username', '?')})"
        username = str(e.get("username", ""))
        if not USERNAME.match(username):
            problems.append(f"{where}: bad or missing username")
            continue
        try:
            role = Role(str(e.get("role")))
        except ValueError:
            problems.append(f"{where}: unknown role {e.get('role')!r}")
            continue
        if scope_kind(role) is not None:
            problems.append(f"{where}: role {role.value} belongs to a street, not the "
                            "district centre")
            continue
        if username in seen:
            problems.append(f"{where}: defined twice")
            continue
        seen.add(username)
        people.append(User(username, role, None, str(e.get("name", ""))))
    return people


def _street_codes(directory: Path, listed: list[str] | None) -> list[str]:
    """The streets listed in the district file, else every subdirectory with an org file."""
    if listed is not None:
        return list(listed)
    return sorted(p.name for p in directory.iterdir() if (p / ORG_FILE).is_file())


def _load_street(directory: Path, code: str, problems: list[str]) -> OrgData | None:
    folder = directory / code
    missing = [name for name in (GRIDS_FILE, ORG_FILE) if not (folder / name).is_file()]
    if not STREET_CODE.match(code):
        problems.append(f"{DISTRICT_FILE}: street {code!r} must match {STREET_CODE.pattern}")
        return None
    if missing:
        problems += [f"{code}/{name}: missing" for name in missing]
        return None
    try:
        data = load_org(folder / GRIDS_FILE, folder / ORG_FILE)
    except OrgFileError as exc:
        problems += [f"{code}/{p}" for p in exc.problems]
        return None
    if data.street.code != code:
        problems.append(f"{code}/{ORG_FILE}: [street] code {data.street.code!r} is not its "
                        f"directory's ({code})")
        return None
    return data


def _check_across(streets: Iterable[OrgData], centre: str, problems: list[str]) -> None:
    """What no street's files can say alone: a street twice, the centre's code taken by a
    street, a tracking device registered in two streets (its fixes would go to one)."""
    seen: set[str] = set()
    devices: dict[str, str] = {}
    for data in streets:
        code = data.street.code
        if code in seen:
            problems.append(f"{DISTRICT_FILE}: street {code} is listed twice")
        if code == centre:
            problems.append(f"{DISTRICT_FILE}: street {code} has the district centre's code")
        seen.add(code)
        for p in data.people:
            if p.device and devices.setdefault(p.device, code) != code:
                problems.append(f"{code}/{ORG_FILE}: user {p.user.username}: device "
                                f"{p.device} is registered in {devices[p.device]} too")


def load_district(directory: Path) -> District:
    """Read and validate the district file and every street's files; raise OrgFileError
    listing every problem of them all."""
    if not (directory / DISTRICT_FILE).is_file():
        raise OrgFileError([f"{directory}: no {DISTRICT_FILE}"])
    problems: list[str] = []
    doc = read_toml(directory / DISTRICT_FILE)
    code, name, name_en, listed = _header(doc, problems)
    centre = _centre_people(doc, problems)
    codes = _street_codes(directory, listed)
    if not codes:
        problems.append(f"{directory}: no street (a subdirectory with {GRIDS_FILE} and "
                        f"{ORG_FILE})")
    streets = [s for c in codes if (s := _load_street(directory, c, problems)) is not None]
    _check_across(streets, code, problems)
    if problems:
        raise OrgFileError(problems)
    return District(code, name, name_en, streets, centre)


def dump_district_toml(district: District) -> str:
    lines = ["[district]", f"code = {toml_str(district.code)}",
             f"name = {toml_str(district.name)}", f"name_en = {toml_str(district.name_en)}",
             "streets = [" + ", ".join(toml_str(s.street.code) for s in district.streets) + "]",
             ""]
    for u in district.centre:
        lines += ["[[user]]", f"username = {toml_str(u.username)}",
                  f"name = {toml_str(u.name)}", f"role = {toml_str(u.role.value)}", ""]
    return "\n".join(lines)


def export_district(district: District, directory: Path) -> list[Path]:
    """Write ``district`` in the layout :func:`load_district` reads; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    top = directory / DISTRICT_FILE
    top.write_text(dump_district_toml(district), encoding="utf-8")
    written = [top]
    for data in district.streets:
        written += export_org(data, directory / data.street.code)
    return written


def preset_district() -> District:
    """The Jizhou-scale preset as a :class:`District`."""
    from dispatch.org.district_preset import (
        CENTRE,
        DISTRICT_EN,
        DISTRICT_ZH,
        centre_people,
        district_preset,
    )

    return District(CENTRE, DISTRICT_ZH, DISTRICT_EN, district_preset(), centre_people())
