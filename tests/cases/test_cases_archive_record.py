"""The archive record's format: what is written is read back exactly, a version this server
does not know is refused, and the preset dictionary of version 1 never changes (records
written with it could not be read again)."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

import pytest

from dispatch.cases.archive import (
    RECORD_V1,
    ZDICT_V1,
    ArchiveError,
    CaseArchiveStore,
    PhotoRecord,
    Record,
    Scope,
    scope_line,
)
from dispatch.keys import Keys
from tests.conftest import run_async

#: sha256 of ZDICT_V1, as released.
RELEASED_SHA256 = "8a9e6f63fac6d6ca6db4702574b2827edf666c8cc941c66397de0a8ce8a1d20c"
FIELDS = {"id": "C7", "item": "SS01", "grid": "001", "state": "closed", "reporter": "gw001",
          "lat": "39.1", "lon": "117.2", "created": "1700000000000", "department": "cgj",
          "assignee": "dm001", "light": "red", "item_name": "路灯不亮"}
TIMELINE = [{"ts": 1700000000000, "by": "gw001", "action": "report", "from": None,
             "to": "reported", "note": "东门路灯不亮", "media": ["ab" * 32]},
            {"ts": 1700000000500.0, "by": "gw001", "action": "verify", "from": "resolved",
             "to": "closed", "note": "", "ok": True}]


def test_a_record_reads_back_as_written() -> None:
    record = Record(FIELDS, TIMELINE, {"ab" * 32: PhotoRecord(
        {"type": "image/png", "ext": "png", "size": "70", "ts": "1", "owner": "gw001"},
        ("gw001",), ("C7",))}, ("cases:all", "cases:grid:001"))
    blob = record.encode()
    assert blob[:1] == RECORD_V1
    assert Record.decode(blob) == record
    assert len(blob) < len(str(record).encode()) / 2


def test_an_unknown_version_or_a_damaged_record_is_refused() -> None:
    blob = Record(FIELDS, TIMELINE).encode()
    with pytest.raises(ArchiveError, match="version"):
        Record.decode(b"\x09" + blob[1:])
    with pytest.raises(ArchiveError, match="damaged"):
        Record.decode(blob[:-20])
    assert zlib.decompressobj(-zlib.MAX_WBITS, ZDICT_V1).decompress(blob[1:])


def test_the_version_1_dictionary_is_the_released_one() -> None:
    assert hashlib.sha256(ZDICT_V1).hexdigest() == RELEASED_SHA256


def test_the_bucket_line_gives_the_scope_back() -> None:
    case = Record(FIELDS, TIMELINE).case
    scope = Scope.parse(scope_line(case))
    assert (scope.department, scope.grid, scope.reporter, scope.assignee, scope.light,
            scope.created) == ("cgj", "001", "gw001", "dm001", "red", 1700000000000)
    assert scope.parties == case.parties


def test_only_a_photo_id_names_a_file_beside_the_photos(tmp_path: Path) -> None:
    store = CaseArchiveStore(None, Keys("jlc"), None, tmp_path, after_s=0,  # type: ignore[arg-type]
                             batch=1, scan_max=1)
    (tmp_path / "secret.cases").write_text("C1\n")
    for bad in ("..", "../secret", "a" * 63, "é" * 64, "ab/" + "c" * 61):
        assert run_async(store.photo(bad)) is None
