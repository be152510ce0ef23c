"""``dispatch backup`` and ``dispatch restore`` as an operator runs them: the street, a case
and its photo come back after the data is lost; a street with data is not overwritten unforced."""

from __future__ import annotations

import os
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from dispatch.cli import main
from dispatch.org.model import OrgData
from tests.conftest import PNG_1PX, LiveServer
from tests.location.fixtures import inside


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def dispatch(live: LiveServer, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """``dispatch ARGS`` as the command line runs it, with the live server's settings."""
    for name in [k for k in os.environ if k.startswith(("DISPATCH_", "REDIS_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("REDIS_URL", str(live.settings.redis_url))
    monkeypatch.setenv("DISPATCH_DATA", str(live.settings.data_dir))

    def run(*args: str) -> Ran:
        code = main(list(args))
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    return run


def test_backup_then_restore_after_the_data_is_lost(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str], tmp_path: Path,
        dispatch: Callable[..., Ran]) -> None:
    with live.client(tokens("gw001")) as c:
        photo = c.post("/api/v1/media", files={"file": ("p.png", PNG_1PX, "image/png")}).json()
        lon, lat = inside(seeded, "001")
        case = c.post("/api/v1/cases", json={"client_id": "b-1", "item": "SR01", "lat": lat,
                                             "lon": lon, "description": "broken lamp",
                                             "media": [photo["id"]]}).json()
        before = c.get(f"/api/v1/cases/{case['id']}").json()
    archive = tmp_path / "street.tar.gz"
    made = dispatch("backup", "--out", str(archive))
    assert made.returncode == 0, made.stderr
    assert "1 photos" in made.stdout
    with tarfile.open(archive) as tar:
        assert {"manifest.json", "redis.bin"} <= set(tar.getnames())

    refused = dispatch("restore", str(archive))
    assert refused.returncode == 1 and "--force" in refused.stderr

    client = redis.Redis.from_url(str(live.settings.redis_url))
    client.flushall()
    client.close()
    shutil.rmtree(live.settings.media_dir)
    back = dispatch("restore", str(archive))
    assert back.returncode == 0, back.stderr

    token = live.login("disp1")  # the users are back
    with live.client(token) as c:
        again = c.get(f"/api/v1/cases/{case['id']}").json()
        image = c.get(f"/api/v1/media/{photo['id']}")
    assert again["description"] == "broken lamp" and again["state"] == case["state"]
    assert again["timeline"] == before["timeline"] and len(again["timeline"]) >= 1
    assert image.status_code == 200 and image.content == PNG_1PX
    with live.client(tokens("gw001")) as c:  # a token issued before the backup still holds
        assert c.get("/api/v1/me").status_code == 200
