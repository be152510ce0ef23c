"""A real district loads from files, as a street does: ``dispatch seed --district DIR``, and
``dispatch seed --preset district --export DIR`` writes the preset in that layout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from dispatch.keys import Keys
from dispatch.org.district_files import (
    District,
    export_district,
    load_district,
    preset_district,
)
from dispatch.org.files import OrgFileError
from dispatch.settings import Settings
from tests.conftest import LiveServer, running


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """``dispatch ARGS`` in this process, on the test's Redis."""
    from dispatch.cli import main

    monkeypatch.setenv("REDIS_URL", str(settings.redis_url))
    monkeypatch.setenv("DISPATCH_DATA", str(settings.data_dir))
    monkeypatch.setenv("DISPATCH_SCRYPT_N", str(settings.scrypt_n))

    def run(*args: str) -> int:
        return main(list(args))

    return run


def small(streets: int = 2) -> District:
    """The preset district cut to its first streets."""
    whole = preset_district()
    return District(whole.code, whole.name, whole.name_en, whole.streets[:streets],
                    whole.centre)


def counts(d: District) -> tuple[str, list[str], list[int], list[Counter[str]], list[str]]:
    return (d.code, [s.street.code for s in d.streets],
            [len(s.grids["features"]) for s in d.streets],
            [Counter(p.user.role.value for p in s.people) for s in d.streets],
            [u.username for u in d.centre])


def test_the_preset_district_exported_loads_back_the_same(
        cli: Callable[..., int], tmp_path: Path) -> None:
    out = tmp_path / "jizhou"
    assert cli("seed", "--preset", "district", "--export", str(out)) == 0
    assert (out / "district.toml").is_file() and (out / "yuyang" / "org.toml").is_file()
    loaded, preset = load_district(out), preset_district()
    assert counts(loaded) == counts(preset)
    assert len(loaded.streets) == 26 and sum(len(s.grids["features"])
                                             for s in loaded.streets) == 1248
    devices = {p.device for s in loaded.streets for p in s.people if p.device}
    assert devices == {p.device for s in preset.streets for p in s.people if p.device}


def test_a_district_from_files_is_served_street_by_street(
        cli: Callable[..., int], settings: Settings, rdb: redis.Redis, tmp_path: Path) -> None:
    d = small()
    export_district(d, tmp_path / "d")
    assert cli("seed", "--district", str(tmp_path / "d"), "--password", "pw1234") == 0
    codes = [s.street.code for s in d.streets]
    for code in codes:
        assert rdb.hget(Keys(code).org_meta(), "code") == code
        assert rdb.hlen(Keys(code).org_grids()) == 48
    assert rdb.exists(Keys(d.code).user("district.disp1"))
    served = settings.replace(streets=",".join(codes), district=d.code)
    with running(served) as live:
        assert LiveServer.login(live, f"{codes[1]}.disp1", "pw1234").startswith(f"{codes[1]}.")
        district = live.client(live.login("district.disp1", "pw1234"))
        with district:
            rows = district.get("/api/v1/district").json()["streets"]
    assert [r["street"] for r in rows] == codes
    again = cli("seed", "--district", str(tmp_path / "d"), "--password", "pw1234")
    assert again == 1  # already seeded: refused without --force


def test_every_problem_is_listed_and_nothing_is_stored(
        cli: Callable[..., int], rdb: redis.Redis, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    d = small(4)
    root = tmp_path / "d"
    export_district(d, root)
    first, second, third, fourth = (s.street.code for s in d.streets)
    top = root / "district.toml"
    top.write_text(top.read_text(encoding="utf-8").replace(
        'role = "assessor"', 'role = "grid_worker"').replace(
        f'"{fourth}"]', f'"{fourth}", "nowhere"]'), encoding="utf-8")
    org = root / second / "org.toml"
    org.write_text(org.read_text(encoding="utf-8").replace('scope = "cgj"', 'scope = "zzz"', 1),
                   encoding="utf-8")
    org = root / fourth / "org.toml"  # a phone registered in two streets
    org.write_text(org.read_text(encoding="utf-8").replace(
        f'device = "{fourth}.gw001"', f'device = "{first}.gw001"'), encoding="utf-8")
    (root / third / "grids.geojson").unlink()
    assert cli("seed", "--district", str(root), "--password", "pw1234") == 1
    err = capsys.readouterr().err
    for expected in ("district.toml: user[2] (district.assess): role grid_worker belongs to a "
                     "street", f"{second}/org.toml: user[", "department 'zzz' is not defined",
                     f"{fourth}/org.toml: user {fourth}.gw001: device {first}.gw001 is registered "
                     f"in {first} too",
                     f"{third}/grids.geojson: missing", "nowhere/grids.geojson: missing",
                     "6 problem(s); nothing was stored"):
        assert expected in err, err
    assert rdb.dbsize() == 0


def test_a_bad_district_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "district.toml").write_text('[district]\ncode = "Bad Code"\n', encoding="utf-8")
    with pytest.raises(OrgFileError) as raised:
        load_district(tmp_path)
    problems = "\n".join(raised.value.problems)
    assert "code 'Bad Code' must match" in problems and "needs a name" in problems
    assert "no street" in problems
    with pytest.raises(OrgFileError, match=r"no district\.toml"):
        load_district(tmp_path / "absent")
