"""The dispatch command: seed, users."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_SCRYPT_N, LiveServer


def cli(redis_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"REDIS_URL": redis_url, "DISPATCH_DATA": str(tmp_path),
           "DISPATCH_SCRYPT_N": str(TEST_SCRYPT_N), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "dispatch", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_seed_preset_counts_and_refusal(redis_url: str, tmp_path: Path) -> None:
    first = cli(redis_url, tmp_path, "seed", "--preset", "street", "--password", "pw1234")
    assert first.returncode == 0, first.stderr
    assert "108 grids" in first.stdout and "820 users" in first.stdout
    assert "disposal_member  240" in first.stdout
    again = cli(redis_url, tmp_path, "seed", "--preset", "street", "--password", "pw1234")
    assert again.returncode == 1
    assert "--force" in again.stderr
    forced = cli(redis_url, tmp_path, "seed", "--preset", "street", "--password", "x1234",
                 "--force")
    assert forced.returncode == 0
    listed = cli(redis_url, tmp_path, "users", "list", "--role", "dept_lead")
    assert len(listed.stdout.splitlines()) == 18


def test_seed_from_files_reports_problems(redis_url: str, tmp_path: Path) -> None:
    out = cli(redis_url, tmp_path, "seed", "--preset", "street", "--export", str(tmp_path / "f"))
    assert out.returncode == 0
    org = tmp_path / "f" / "org.toml"
    org.write_text(org.read_text(encoding="utf-8").replace('scope = "cgj"', 'scope = "zzz"', 1),
                   encoding="utf-8")
    bad = cli(redis_url, tmp_path, "seed", "--grids", str(tmp_path / "f" / "grids.geojson"),
              "--org", str(org), "--password", "pw1234")
    assert bad.returncode == 1
    assert "department 'zzz' is not defined" in bad.stderr
    assert "nothing was stored" in bad.stderr


def test_users_add_reset_revoke(redis_url: str, tmp_path: Path, live: LiveServer) -> None:
    cli(redis_url, tmp_path, "seed", "--preset", "street", "--password", "pw1234")
    added = cli(redis_url, tmp_path, "users", "add", "disp9", "--role", "dispatcher",
                "--name", "新调度", "--password", "first-pw")
    assert added.returncode == 0, added.stderr
    token = live.login("disp9", "first-pw")
    reset = cli(redis_url, tmp_path, "users", "reset", "disp9", "--password", "second-pw")
    assert "1 token(s) revoked" in reset.stdout
    with live.client(token) as c:
        assert c.get("/api/v1/me").status_code == 401
    live.login("disp9", "second-pw")
    dup = cli(redis_url, tmp_path, "users", "add", "disp9", "--role", "dispatcher",
              "--password", "pw1234")
    assert dup.returncode == 1 and "exists" in dup.stderr
    disabled = cli(redis_url, tmp_path, "users", "disable", "disp9")
    assert disabled.returncode == 0
    with live.client() as c:
        r = c.post("/api/v1/login", json={"username": "disp9", "password": "second-pw"})
    assert r.status_code == 401
