"""Listing: filters that combine, newest first, an opaque cursor, and the caller's scope."""

from __future__ import annotations

import pytest

from tests.cases.helpers import Cases


@pytest.fixture
def street_cases(cases: Cases) -> dict[str, str]:
    made = {
        "cgj_001": cases.report("gw001", "SS01", grid="001")["id"],
        "hw_001": cases.report("gw001", "SR01", grid="001")["id"],
        "cgj_002": cases.report("gw002", "SS03", grid="002")["id"],
        "cgj_002_by_gw001": cases.report("gw001", "SR05", grid="002")["id"],
        "pcs_003": cases.report("gw003", "ZA01", grid="003")["id"],
        "cgj_003_held": cases.report("gw003", "SS01", grid="003")["id"],
        "cgj_003_cancelled": cases.report("gw003", "SR13", grid="003")["id"],
    }
    cases.act("dm001", made["cgj_003_held"], "accept")
    cases.act("disp1", made["cgj_003_cancelled"], "cancel", reason="x")
    return made


def ids(cases: Cases, user: str, **params: str) -> list[str]:
    return [c["id"] for c in cases.listing(user, **params)["items"]]


def number(cid: str) -> int:
    return int(cid[1:])


def test_filters_combine_newest_first(cases: Cases, street_cases: dict[str, str]) -> None:
    m = street_cases
    every = ids(cases, "disp1")
    assert every == sorted(m.values(), key=number, reverse=True)
    assert ids(cases, "disp1", department="cgj") == [
        m["cgj_003_cancelled"], m["cgj_003_held"], m["cgj_002_by_gw001"], m["cgj_002"],
        m["cgj_001"]]
    assert ids(cases, "disp1", department="cgj", state="dispatched") == [
        m["cgj_002_by_gw001"], m["cgj_002"], m["cgj_001"]]
    assert ids(cases, "disp1", department="cgj", state="dispatched", grid="002") == [
        m["cgj_002_by_gw001"], m["cgj_002"]]
    assert ids(cases, "disp1", state="accepted,cancelled") == [
        m["cgj_003_cancelled"], m["cgj_003_held"]]
    assert m["cgj_003_cancelled"] not in ids(cases, "disp1", state="open")
    assert ids(cases, "disp1", assignee="dm001") == [m["cgj_003_held"]]
    assert ids(cases, "disp1", light="red") == []
    assert ids(cases, "disp1", grid="999") == []
    summary = cases.listing("disp1", grid="001")["items"][0]
    assert {"id", "state", "department", "light", "deadline", "assignee"} <= set(summary)
    assert "timeline" not in summary


def test_cursor_pages_through_everything_once(cases: Cases,
                                              street_cases: dict[str, str]) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = cases.listing("disp1", **params)
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(street_cases.values(), key=number, reverse=True)
    filtered = cases.listing("disp1", department="cgj", limit="2")
    rest = cases.listing("disp1", department="cgj", cursor=filtered["next_cursor"])
    assert len(filtered["items"]) + len(rest["items"]) == 5 and rest["next_cursor"] is None


def test_scope(cases: Cases, street_cases: dict[str, str]) -> None:
    m = street_cases
    cgj = {m["cgj_001"], m["cgj_002"], m["cgj_002_by_gw001"], m["cgj_003_held"],
           m["cgj_003_cancelled"]}
    assert set(ids(cases, "dm001")) == cgj
    assert set(ids(cases, "lead01", state="open")) == cgj - {m["cgj_003_cancelled"]}
    assert set(ids(cases, "dm073")) == {m["hw_001"]}
    r = cases.call("dm001", "GET", "/api/v1/cases", params={"department": "hw"})
    assert r.status_code == 403 and r.json()["error"]["field"] == "department"
    assert set(ids(cases, "gw001")) == {m["cgj_001"], m["hw_001"], m["cgj_002_by_gw001"]}
    assert set(ids(cases, "gw002")) == {m["cgj_002"], m["cgj_002_by_gw001"]}
    assert ids(cases, "gw001", grid="003") == []
    assert set(ids(cases, "screen1")) == set(m.values())
    assert set(ids(cases, "assess1")) == set(m.values())


def test_bad_listing_parameters(cases: Cases) -> None:
    for params, field in [({"state": "sleeping"}, "state"), ({"light": "blue"}, "light"),
                          ({"limit": "1000"}, "limit"), ({"cursor": "garbage"}, "cursor")]:
        r = cases.call("disp1", "GET", "/api/v1/cases", params=params)
        assert r.status_code == 400 and r.json()["error"]["field"] == field, params
