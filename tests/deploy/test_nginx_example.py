"""The example nginx configuration of docs/deploy.md, run for real in front of the server:
TLS, the HTTP -> HTTPS redirect, WebSocket upgrade (with the first-message auth), the public
URL and HSTS from X-Forwarded-Proto, photo uploads within the body limit, and an access log
without tokens.

nginx is Debian's (``apt-get install nginx``). Without it the test is skipped, except under
CI=true as root, where it is installed first (``.ci/run`` does too); the proxy headers
themselves are also tested without nginx, through uvicorn's own handling (test_proxies.py).
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from dispatch.embedded_redis import free_port
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import PNG_1PX, running
from tests.waiting import wait_until

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "deploy" / "nginx.conf"
HOST = "localhost"
START_S = 10.0


def find_nginx() -> str | None:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None)
    ci = os.environ.get("CI") == "true"
    if found is None and ci and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], env=env,
                       capture_output=True, timeout=300, check=False)
        found = shutil.which("nginx") or ("/usr/sbin/nginx"
                                           if os.path.exists("/usr/sbin/nginx") else None)
    return found


def certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def configure(directory: Path, web_port: int, https_port: int, http_port: int) -> Path:
    """The example with this run's ports, certificate and log directory, inside a minimal
    main configuration."""
    cert, key = certificate(directory)
    site = EXAMPLE.read_text()
    for old, new in (("127.0.0.1:8000", f"127.0.0.1:{web_port}"),
                     ("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl"),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("/etc/letsencrypt/live/grid.example.cn/fullchain.pem", str(cert)),
                     ("/etc/letsencrypt/live/grid.example.cn/privkey.pem", str(key)),
                     ("/var/log/nginx/", f"{directory}/"),
                     ("grid.example.cn", HOST)):
        assert old in site, old
        site = site.replace(old, new)
    (directory / "dispatch.conf").write_text(site)
    main = directory / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    main.write_text(
        f"{user}worker_processes 1;\npid {directory}/nginx.pid;\nerror_log {directory}/error.log;\n"
        "events { worker_connections 256; }\n"
        "http {\n  default_type application/octet-stream;\n"
        f"  client_body_temp_path {directory}/body; proxy_temp_path {directory}/proxy;\n"
        f"  fastcgi_temp_path {directory}/fcgi; uwsgi_temp_path {directory}/uwsgi;\n"
        f"  scgi_temp_path {directory}/scgi;\n  include {directory}/dispatch.conf;\n}}\n")
    return main


@pytest.fixture
def proxied(settings: Settings, seeded: OrgData, tmp_path: Path) -> Iterator[tuple[str, str]]:
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    with running(settings.replace(trusted_proxies="127.0.0.1")) as web:
        https_port, http_port = free_port(), free_port()
        conf_dir = tmp_path / "nginx"
        conf_dir.mkdir()
        main = configure(conf_dir, int(web.url.rsplit(":", 1)[1]), https_port, http_port)
        check = subprocess.run([nginx, "-t", "-p", str(conf_dir), "-c", str(main)],
                               capture_output=True, text=True, timeout=30, check=False)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen([nginx, "-p", str(conf_dir), "-c", str(main), "-g",
                                 "daemon off;"], stderr=subprocess.PIPE)
        try:
            base = f"https://{HOST}:{https_port}"
            tls = ssl.create_default_context(cafile=conf_dir / "cert.pem")

            def up() -> bool:
                assert proc.poll() is None, "nginx exited"
                try:
                    httpx.get(f"{base}/healthz", timeout=1, verify=tls)
                except httpx.HTTPError:
                    return False
                return True

            wait_until(up, "nginx to answer", START_S)
            yield base, f"http://{HOST}:{http_port}"
        finally:
            proc.terminate()
            proc.wait(10)


def test_the_example_nginx_config(proxied: tuple[str, str], tmp_path: Path) -> None:
    base, plain = proxied
    tls = ssl.create_default_context(cafile=tmp_path / "nginx" / "cert.pem")
    with httpx.Client(base_url=base, verify=tls, timeout=10) as c:
        health = c.get("/healthz")
        assert health.status_code == 200
        assert health.headers["strict-transport-security"].startswith("max-age=")
        assert "frame-ancestors 'none'" in health.headers["content-security-policy"]
        token = c.post("/api/v1/login", json={"username": "gw001", "password": "test-pass"}
                       ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert c.get("/api/v1/street", headers=auth).json()["public_url"] == base
        photo = c.post("/api/v1/media", headers=auth,
                       files={"file": ("p.png", PNG_1PX + b"\0" * 2_000_000, "image/png")})
        assert photo.status_code == 201, photo.text
        c.get(f"/api/v1/me?token={token}", headers=auth)
        screen_token = c.post("/api/v1/login", json={"username": "screen1",
                                                     "password": "test-pass"}).json()["token"]
    redirect = httpx.get(f"{plain}/app", timeout=5)
    assert redirect.status_code == 308
    assert redirect.headers["location"] == f"https://{HOST}/app"

    wss = "wss" + base[len("https"):]
    with connect(f"{wss}/ws/phone", ssl=tls) as phone:
        phone.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(phone.recv(timeout=5))["type"] == "auth.ok"
        phone.send(json.dumps({"type": "ping", "seq": 7, "lat": 39.03, "lon": 117.42,
                               "ts": int(time.time() * 1000)}))
        assert json.loads(phone.recv(timeout=5)) == {"type": "ack", "seq": 7}
    with connect(f"{wss}/ws/screen?token={screen_token}", ssl=tls) as screen:
        assert json.loads(screen.recv(timeout=5))["type"] == "snapshot"
    logged = (tmp_path / "nginx" / "dispatch.access.log").read_text()
    assert '"GET /ws/screen HTTP/1.1" 101' in logged and '"POST /api/v1/media' in logged
    assert token not in logged and screen_token not in logged
