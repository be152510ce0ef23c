"""A real street from files: round trip, and errors that name the file, entry and problem."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
import pytest

from dispatch.org.files import OrgFileError, export_org, load_org
from dispatch.org.model import OrgData


def test_export_then_load_round_trips(street: OrgData, tmp_path: Path) -> None:
    grids, org = export_org(street, tmp_path)
    loaded = load_org(grids, org)
    assert len(loaded.people) == len(street.people)
    assert [s.id for s in loaded.stations] == [s.id for s in street.stations]
    assert loaded.grids["features"][5]["properties"]["id"] == "006"


def _problems(grids: dict, org_text: str, tmp_path: Path) -> list[str]:
    gp, op = tmp_path / "grids.geojson", tmp_path / "org.toml"
    gp.write_bytes(orjson.dumps(grids))
    op.write_text(org_text, encoding="utf-8")
    with pytest.raises(OrgFileError) as info:
        load_org(gp, op)
    return info.value.problems


def test_unknown_references_are_named(street: OrgData, tmp_path: Path) -> None:
    _, org = export_org(street, tmp_path / "src")
    text = org.read_text(encoding="utf-8").replace('scope = "007"', 'scope = "999"', 1)
    text = text.replace('scope = "hw"', 'scope = "nope"', 1)
    problems = _problems(street.grids, text, tmp_path)
    assert any("org.toml: user[" in p and "(gw007)" in p and "grid '999'" in p
               for p in problems), problems
    assert any("department 'nope'" in p for p in problems), problems


def test_overlap_and_unknown_station_name_the_feature(street: OrgData, tmp_path: Path) -> None:
    _, org = export_org(street, tmp_path / "src")
    grids = copy.deepcopy(street.grids)
    grids["features"][3]["properties"]["station"] = "S99"
    grids["features"][10]["geometry"] = copy.deepcopy(grids["features"][11]["geometry"])
    problems = _problems(grids, org.read_text(encoding="utf-8"), tmp_path)
    assert any(p.startswith("grids.geojson: features[3]") and "S99" in p for p in problems)
    assert any("features[10]" in p or "features[11]" in p for p in problems)
    assert any("overlap" in p for p in problems), problems


def test_two_workers_for_one_grid(street: OrgData, tmp_path: Path) -> None:
    _, org = export_org(street, tmp_path / "src")
    text = org.read_text(encoding="utf-8").replace('scope = "002"', 'scope = "001"', 1)
    problems = _problems(street.grids, text, tmp_path)
    assert any("grid 001 already has worker gw001" in p for p in problems), problems


def test_bad_toml_names_the_file(street: OrgData, tmp_path: Path) -> None:
    problems = _problems(street.grids, "[street\ncode=", tmp_path)
    assert problems[0].startswith("org.toml:")
