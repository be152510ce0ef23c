"""Spreadsheet downloads: a file name in Content-Disposition, yes/no as 是/否, and the current
period by name (period=day|week|month) on reports and scores."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from dispatch.reports.export import to_csv
from tests.conftest import LiveServer


def test_booleans_are_yes_no() -> None:
    text = to_csv([["warned", "ok"], [True, False]]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["warned", "ok"], ["是", "否"]]


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_scores_csv_of_the_current_period(live: LiveServer, tokens: Callable[[str], str],
                                          period: str) -> None:
    with live.client(tokens("disp1")) as c:
        r = c.get("/api/v1/scores", params={"period": period, "format": "csv"})
        report = c.get("/api/v1/reports/daily", params={"period": "day", "format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith('attachment; filename="jlc-scores-')
    assert r.headers["content-disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    warned = {row[4] for row in rows[1:]}
    assert warned <= {"是", "否"} and warned
    assert report.status_code == 200
    assert report.headers["content-disposition"].endswith('.csv"')
