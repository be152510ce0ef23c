"""The field app's shell for a phone without signal: the web app manifest and the service
worker that keeps every file of the app in one versioned cache.

The worker script is ``web/app/sw.js`` preceded by two constants written here: the shell's
version (a digest of every file in it, so any change to any file is a new worker) and the
list of its URLs (every file under ``web/app`` and ``web/common``, so a module added to the
app is cached without anyone listing it). The browser installs a new version in the
background and the next open of the app runs it, all files from the same version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import orjson

APP_PATH = "/app"
STATIC_PREFIX = "/static"
WORKER_SOURCE = "sw.js"
MANIFEST_FILE = "manifest.webmanifest"
MANIFEST_PATH = f"{APP_PATH}/{MANIFEST_FILE}"
#: The parts of the web directory the field app loads.
SHELL_DIRS = ("app", "common")
#: Files of those directories that are not the app's own (pages opened apart, sources).
NOT_IN_SHELL = frozenset({WORKER_SOURCE, MANIFEST_FILE, "index.html", "tracking.html",
                          "icon.svg"})
VERSION_CHARS = 16
JS_TYPE = "text/javascript; charset=utf-8"
MANIFEST_TYPE = "application/manifest+json"
#: The browser checks for a new worker on every open; the script is never taken from a cache.
WORKER_HEADERS = {"Cache-Control": "no-cache", "Service-Worker-Allowed": APP_PATH}


@dataclass(frozen=True)
class Shell:
    version: str
    urls: tuple[str, ...]


def _files(web_dir: Path) -> list[Path]:
    found: list[Path] = []
    for part in SHELL_DIRS:
        found += [p for p in (web_dir / part).rglob("*")
                  if p.is_file() and p.name not in NOT_IN_SHELL and not p.name.startswith(".")]
    return sorted(found)


def build_shell(web_dir: Path) -> Shell:
    """The shell's URLs and a version that changes with any byte of any file in it (the
    page, the worker's own code and the manifest included)."""
    files = _files(web_dir)
    digest = hashlib.sha256()
    own = [web_dir / "app" / name for name in ("index.html", WORKER_SOURCE, MANIFEST_FILE)]
    for path in [*own, *files]:
        digest.update(path.relative_to(web_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    urls = [APP_PATH, MANIFEST_PATH]
    urls += [f"{STATIC_PREFIX}/{p.relative_to(web_dir).as_posix()}" for p in files]
    return Shell(digest.hexdigest()[:VERSION_CHARS], tuple(urls))


def worker_script(web_dir: Path) -> str:
    shell = build_shell(web_dir)
    head = (f"const SHELL_VERSION = {orjson.dumps(shell.version).decode()};\n"
            f"const SHELL_FILES = {orjson.dumps(list(shell.urls)).decode()};\n")
    return head + (web_dir / "app" / WORKER_SOURCE).read_text(encoding="utf-8")
