"""The catalogue, the rules in force, dry runs and reloads through the API and the CLI."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from dispatch.rules import DEFAULT_RULES_FILE, packaged_rules_text
from tests.conftest import PNG_1PX, LiveServer

CENTRE_LAT, CENTRE_LON = 39.03, 117.42


def test_catalogue_has_six_categories_and_120_items(live: LiveServer,
                                                    tokens: Callable[[str], str]) -> None:
    with live.client(tokens("gw001")) as c:
        cat = c.get("/api/v1/catalogue").json()
    assert len(cat["categories"]) == 6
    assert len(cat["items"]) == 120
    assert {"code", "name", "name_en", "category", "limit_hours"} <= set(cat["items"][0])


def test_dry_run_routes_by_item(live: LiveServer, tokens: Callable[[str], str]) -> None:
    with live.client(tokens("disp1")) as c:
        r = c.post("/api/v1/rules/dry-run", json={"item": "SR01", "lat": CENTRE_LAT,
                                                  "lon": CENTRE_LON, "at": 1_790_000_000_000})
        rules = c.get("/api/v1/rules").json()
    body = r.json()
    assert r.status_code == 200, body
    assert body["department"] == "hw"
    assert body["tier"] == "complex"
    assert body["deadline"] > 1_790_000_000_000
    assert body["grid"] is not None
    assert body["rule"] and body["version"] == rules["version"]


def test_dry_run_at_the_epoch_is_at_the_epoch(live: LiveServer,
                                              tokens: Callable[[str], str]) -> None:
    """``at`` 0 is an instant (1970-01-01), not "now"."""
    with live.client(tokens("disp1")) as c:
        r = c.post("/api/v1/rules/dry-run", json={"item": "SR01", "lat": CENTRE_LAT,
                                                  "lon": CENTRE_LON, "at": 0})
    assert r.status_code == 200, r.text
    assert 0 < r.json()["deadline"] <= 2 * 3_600_000  # sanitation: 2 h on the calendar clock


def test_dry_run_bad_input(live: LiveServer, tokens: Callable[[str], str]) -> None:
    with live.client(tokens("disp1")) as c:
        unknown = c.post("/api/v1/rules/dry-run", json={"item": "XX99", "lat": CENTRE_LAT,
                                                        "lon": CENTRE_LON})
        outside = c.post("/api/v1/rules/dry-run", json={"item": "SR01", "lat": 31.2,
                                                        "lon": 121.5})
        wrong = c.post("/api/v1/rules/dry-run", json={"item": "SR01", "lat": "north",
                                                      "lon": CENTRE_LON})
    assert unknown.json()["error"] == {"code": "unknown_item", "field": "item",
                                       "message": unknown.json()["error"]["message"]}
    assert outside.json()["error"]["code"] == "outside_grids"
    assert wrong.status_code == 400 and wrong.json()["error"]["field"] == "lat"


def broken(text: str) -> str:
    """The rules with one rule sending its cases to a department that does not exist."""
    marker = 'id = "sanitation-contract"'
    assert marker in text
    return text.replace(marker, marker + '\ndepartment = "nope"', 1)


def test_reload_refuses_a_bad_file_and_keeps_the_old(live: LiveServer,
                                                     tokens: Callable[[str], str]) -> None:
    good = packaged_rules_text(DEFAULT_RULES_FILE)
    with live.client(tokens("admin")) as c:
        before = c.get("/api/v1/rules").json()["version"]
        bad = c.post("/api/v1/rules/reload", json={"text": broken(good)})
        assert bad.status_code == 400
        assert bad.json()["error"]["code"] == "invalid_rules"
        assert any("nope" in p for p in bad.json()["error"]["problems"])
        assert c.get("/api/v1/rules").json()["version"] == before
        newer = good.replace(f'version = "{before}"', 'version = "test-2"', 1)
        ok = c.post("/api/v1/rules/reload", json={"text": newer, "source": "t.toml"})
        assert ok.status_code == 200, ok.text
        assert c.get("/api/v1/rules").json()["version"] == "test-2"


def test_cli_rules_check(tmp_path: Path) -> None:
    shipped = tmp_path / "rules.toml"
    shipped.write_text(packaged_rules_text(DEFAULT_RULES_FILE), encoding="utf-8")
    ok = subprocess.run([sys.executable, "-m", "dispatch", "rules", "check", str(shipped)],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(broken(shipped.read_text(encoding="utf-8")), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "dispatch", "rules", "check", str(bad)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert f"{bad}:" in out.stderr and "nope" in out.stderr


def test_media_upload_by_content(live: LiveServer, tokens: Callable[[str], str],
                                 tmp_path: Path) -> None:
    with live.client(tokens("gw001")) as c:
        r = c.post("/api/v1/media", files={"file": ("a.jpg", PNG_1PX, "image/jpeg")})
        again = c.post("/api/v1/media", files={"file": ("b.png", PNG_1PX, "image/png")})
        text = c.post("/api/v1/media", files={"file": ("x.png", b"not an image", "image/png")})
        missing = c.post("/api/v1/media", files={"other": ("x.png", PNG_1PX, "image/png")})
        not_multipart = c.post("/api/v1/media", json={"file": "x"})
    assert r.status_code == 201
    assert r.json()["id"] == hashlib.sha256(PNG_1PX).hexdigest()
    assert r.json()["type"] == "image/png"  # by content, not by the name or header
    assert again.json()["id"] == r.json()["id"]
    assert text.status_code == 415 and text.json()["error"]["code"] == "unsupported_image"
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "file"
    assert not_multipart.status_code == 400
    stored = live.settings.media_dir / r.json()["id"][:2] / f"{r.json()['id']}.png"
    assert stored.read_bytes() == PNG_1PX


class TestMediaLimit:
    import pytest

    @pytest.fixture
    def settings_overrides(self) -> dict[str, int]:
        return {"max_media_bytes": 1000}

    def test_oversized_photo(self, live: LiveServer, tokens: Callable[[str], str]) -> None:
        big = PNG_1PX + b"\0" * 2000
        with live.client(tokens("gw001")) as c:
            r = c.post("/api/v1/media", files={"file": ("a.png", big, "image/png")})
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "payload_too_large"
