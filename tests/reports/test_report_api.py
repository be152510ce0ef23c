"""Reports over HTTP: current periods by word, downloads (CSV, XLSX opened with openpyxl)
with a file name, the cases behind a figure, scope; a fresh street owes no patrol window
that closed before it existed."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from dispatch.bootstrap import bootstrap
from dispatch.org.model import OrgData
from dispatch.org.seed import seed_org
from dispatch.settings import Settings
from tests.cases.helpers import HW_ITEM, Cases
from tests.conftest import PASSWORD, LiveServer

TZ = ZoneInfo("Asia/Shanghai")
MS = 1000


@pytest.fixture
def cases(live: LiveServer, tokens: Callable[[str], str]) -> Cases:
    return Cases(live, tokens)


def test_periods_downloads_and_the_cases_behind_a_figure(cases: Cases,
                                                         live: LiveServer) -> None:
    a = cases.report(item=HW_ITEM)
    b = cases.report(item=HW_ITEM, grid="002", user="gw002")
    cases.act("disp1", b["id"], "cancel", reason="误报")
    today = datetime.now(TZ).date()
    week = f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}"
    with live.client(cases.tokens("assess1")) as http:
        daily = http.get("/api/v1/reports/daily", params={"period": "day"}).json()
        assert daily["label"] == today.isoformat() and not daily["finished"]
        assert daily["totals"]["reported"] == 2 and daily["totals"]["cancelled"] == 1
        assert len(daily["stations"]) == 11 and len(daily["departments"]) == 18
        assert daily["names"]["departments"]["hw"]["name"] == "环卫公司"
        weekly = http.get("/api/v1/reports/weekly", params={"period": week}).json()
        assert weekly["label"] == week
        assert http.get("/api/v1/reports/daily", params={"period": "week"}).status_code == 400
        assert http.get("/api/v1/reports/daily",
                        params={"period": week}).json()["error"]["code"] == "period_mismatch"
        scores = http.get("/api/v1/scores", params={"period": "week"}).json()
        assert scores["label"] == week and len(scores["departments"]) == 18

        listed = http.get("/api/v1/reports/daily/figures/reported",
                          params={"period": "day", "department": "hw"}).json()
        assert listed["count"] == 2 and [i["id"] for i in listed["items"]] == sorted(
            [a["id"], b["id"]], key=lambda x: int(x[1:]))
        cancelled = http.get("/api/v1/reports/daily/figures/cancelled").json()
        assert [i["id"] for i in cancelled["items"]] == [b["id"]]
        station = a["station"]
        by_station = http.get("/api/v1/reports/daily/figures/reported",
                              params={"station": station}).json()
        assert a["id"] in [i["id"] for i in by_station["items"]]
        assert http.get("/api/v1/reports/daily/figures/nonsense").status_code == 404

        csv = http.get("/api/v1/reports/daily", params={"format": "csv"})
        assert csv.headers["content-type"].startswith("text/csv")
        assert csv.headers["content-disposition"] == (
            f'attachment; filename="jlc-daily-{today.isoformat()}.csv"')
        assert "department,hw,环卫公司" in csv.text
        xlsx = http.get("/api/v1/reports/daily", params={"format": "xlsx"})
        assert xlsx.headers["content-disposition"].endswith(f'-{today.isoformat()}.xlsx"')
        assert http.get("/api/v1/reports/daily", params={"format": "pdf"}).status_code == 400
        score_book = http.get("/api/v1/scores", params={"period": "month", "format": "xlsx"})
        assert score_book.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    sheet, detail = book.worksheets
    header = [c.value for c in sheet[4]]
    rows = {(r[0].value, r[1].value): r for r in sheet.iter_rows(min_row=5)}
    reported = rows[("部门", "环卫公司")][header.index("reported")]
    assert reported.value == 2
    link = reported.hyperlink.location or reported.hyperlink.target
    target_row = int(link.rsplit("A", 1)[1])
    listed_row = [c.value for c in detail[target_row]]
    assert listed_row[3] == "reported" and listed_row[4] == 2
    assert set(listed_row[5].split(", ")) == {a["id"], b["id"]}
    assert "/reports?" in listed_row[6] and "figure=reported" in listed_row[6]
    scores_book = openpyxl.load_workbook(io.BytesIO(score_book.content))
    assert [ws.title for ws in scores_book.worksheets] == ["workers 网格员", "departments 部门"]


def test_a_lead_sees_their_own_department(cases: Cases, live: LiveServer) -> None:
    cases.report(item=HW_ITEM)
    with live.client(cases.tokens("lead05")) as http:  # hw's lead
        report = http.get("/api/v1/reports/daily").json()
        assert list(report["departments"]) == ["hw"]
        assert http.get("/api/v1/reports/daily/figures/reported",
                        params={"department": "hw"}).status_code == 200
        assert http.get("/api/v1/reports/daily/figures/reported").status_code == 403
        assert http.get("/api/v1/reports/daily/figures/reported",
                        params={"department": "cgj"}).status_code == 403


def test_a_fresh_street_owes_no_window_that_opened_before_it(
        settings: Settings, street: OrgData, redis_url: str) -> None:
    """Seeded at 10:00: the clock's first closing (yesterday's windows, then this morning's,
    open when the street was seeded) records no missed patrol; the afternoon's is owed."""
    day = datetime.now(TZ).date() + timedelta(days=2)

    def at(h: int, m: int = 0) -> int:
        return int(datetime(day.year, day.month, day.day, h, m, tzinfo=TZ).timestamp() * MS)

    async def go() -> tuple[int, int, int, int]:
        c = bootstrap(settings.replace(patrol_windows="08:00-12:00,14:00-18:00"))
        try:
            await seed_org(c.redis, c.keys, c.users, c.org, street, PASSWORD,
                           seeded_ms=at(10))
            first = await c.patrols.close_windows(at(10, 1))
            morning = await c.patrols.close_windows(at(12, 1))
            shown = (await c.reports.today_figures(at(12, 2)))["patrols_missed"]
            afternoon = await c.patrols.close_windows(at(18, 1))
            return len(first), len(morning), int(shown), len(afternoon)
        finally:
            await c.aclose()

    assert asyncio.run(go()) == (0, 0, 0, 108)
