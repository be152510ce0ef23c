"""Reports and scores as spreadsheets: CSV (UTF-8 with a BOM) and XLSX (openpyxl).

In the XLSX every count of a report links to the row of its "cases" sheet that lists the
cases (or patrols) it counts, and that row links to the same list on the report page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dispatch.reports.figures import CASE_NAMES, DEPARTMENT_NAMES, PATROL_NAMES, RATE_NAMES
from dispatch.reports.labels import (
    FIGURE_LABELS,
    GROUP_LABELS,
    KIND_LABELS,
    PART_LABELS,
    figure_label,
)

BOM = "\ufeff"  # spreadsheets open UTF-8 CSV with Chinese names correctly with it
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_COLUMNS = (*CASE_NAMES, *PATROL_NAMES, *RATE_NAMES)
#: Rates that are means (a score, seconds), not shares.
MEANS = frozenset({"rating_mean", "arrival_mean_s"})
COUNTS = frozenset((*CASE_NAMES, *PATROL_NAMES))
PERCENT = "0.00%"
LINK = Font(color="0563C1", underline="single")
BOLD = Font(bold=True)
NAME_WIDTH = 18
COLUMN_WIDTH = 11
LIST_SHEET = "cases 明细"
REPORT_SHEET = "report 报表"
MAX_SHEET_TITLE = 31


def file_name(street: str, kind: str, label: str, ext: str) -> str:
    return f"{street}-{kind}-{label}.{ext}"


def disposition(name: str) -> str:
    return f'attachment; filename="{name}"'


def _name(names: Mapping[str, Mapping[str, Any]], group: str, ident: str) -> str:
    found = names.get(f"{group}s", {}).get(ident)
    return str(found["name"]) if found else ident


def _rows(report: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(group, id, figures) of the totals, every station and every department."""
    rows: list[tuple[str, str, Mapping[str, Any]]] = [("total", "", report["totals"])]
    rows += [("station", k, v) for k, v in report["stations"].items()]
    rows += [("department", k, v) for k, v in report["departments"].items()]
    return rows


def _local(ms: int, tz: str) -> str:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


# --- CSV ---------------------------------------------------------------------------------

YES, NO = "是", "否"


def yes_no(value: Any) -> Any:
    """A spreadsheet's value: yes/no as 是/否 (a spreadsheet shows Python's True as is)."""
    return (YES if value else NO) if isinstance(value, bool) else value


def to_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    csv.writer(out).writerows([yes_no(v) for v in row] for row in rows)
    return out.getvalue().encode()


def report_csv(report: Mapping[str, Any]) -> bytes:
    names = report.get("names", {})
    rows: list[list[Any]] = [["group", "name", "title", *REPORT_COLUMNS]]
    for group, ident, figs in _rows(report):
        ident = ident or report["label"]
        rows.append([group, ident, _name(names, group, ident) if group != "total" else "",
                     *(figs.get(k) for k in REPORT_COLUMNS)])
    return to_csv(rows)


def scores_csv(scores: Mapping[str, Any]) -> bytes:
    rows: list[list[Any]] = [["kind", "rank", "subject", "score", "warned", "parts"]]
    for kind in ("workers", "departments"):
        for s in scores[kind]:
            parts = ";".join(f"{k}={'' if v is None else f'{v:.3f}'}"
                             for k, v in s["parts"].items())
            rows.append([kind[:-1], s["rank"], s["subject"], s["score"], s["warned"], parts])
    return to_csv(rows)


# --- XLSX --------------------------------------------------------------------------------

def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _widths(ws: Any, first: int, count: int) -> None:
    ws.column_dimensions["A"].width = NAME_WIDTH
    ws.column_dimensions["B"].width = NAME_WIDTH
    for i in range(first, first + count):
        ws.column_dimensions[get_column_letter(i)].width = COLUMN_WIDTH


def report_xlsx(report: Mapping[str, Any], lists: Mapping[tuple[str, str, str], Sequence[str]],
                *, street: str, tz: str, page_url: str) -> bytes:
    """The report as a workbook; ``lists`` gives (group, id, figure) -> ids counted."""
    names = report.get("names", {})
    wb = Workbook()
    ws = wb.active
    ws.title = REPORT_SHEET
    detail = wb.create_sheet(LIST_SHEET)
    kind = KIND_LABELS[report["kind"]]
    ws.append([f"{street} {kind[0]} {report['label']}",
               f"{kind[1]} · T = {_local(report['at'], tz)} ({tz})"])
    ws["A1"].font = BOLD
    ws.append([])
    ws.append(["分组", "名称", *(FIGURE_LABELS[k][0] for k in REPORT_COLUMNS)])
    ws.append(["group", "name", *REPORT_COLUMNS])
    for cell in ws[3] + ws[4]:
        cell.font = BOLD
    detail.append(["分组 group", "名称 name", "指标 figure", "figure", "数量 count",
                   "案件/巡查 ids", "报表页 page"])
    for cell in detail[1]:
        cell.font = BOLD
    for group, ident, figs in _rows(report):
        title = _name(names, group, ident) if group != "total" else GROUP_LABELS["total"][0]
        ws.append([GROUP_LABELS[group][0], title, *(figs.get(k) for k in REPORT_COLUMNS)])
        row = ws.max_row
        for col, key in enumerate(REPORT_COLUMNS, start=3):
            cell = ws.cell(row=row, column=col)
            if key in RATE_NAMES and key not in MEANS and cell.value is not None:
                cell.number_format = PERCENT
            if key not in COUNTS or (group == "department" and key not in DEPARTMENT_NAMES):
                continue
            ids = lists.get((group, ident, key), ())
            query = {"kind": report["kind"], "period": report["label"], "figure": key,
                     "group": group, **({"name": ident} if ident else {})}
            detail.append([GROUP_LABELS[group][0], title, figure_label(key)[0], key,
                           len(ids), ", ".join(ids), f"{page_url}?{urlencode(query)}"])
            link_row = detail.max_row
            detail.cell(row=link_row, column=7).hyperlink = f"{page_url}?{urlencode(query)}"
            detail.cell(row=link_row, column=7).font = LINK
            cell.hyperlink = f"#'{LIST_SHEET}'!A{link_row}"
            cell.font = LINK
    _widths(ws, 3, len(REPORT_COLUMNS))
    ws.freeze_panes = "C5"
    detail.column_dimensions["F"].width = 60
    return _save(wb)


def scores_xlsx(scores: Mapping[str, Any], names: Mapping[str, Mapping[str, Any]], *,
                street: str, tz: str) -> bytes:
    wb = Workbook()
    first = True
    for kind, zh in (("workers", "网格员"), ("departments", "部门")):
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = f"{kind} {zh}"[:MAX_SHEET_TITLE]
        items = scores[kind]
        parts = list(items[0]["parts"]) if items else []
        ws.append([f"{street} 考核 {scores['label']}",
                   f"T = {_local(scores['at'], tz)} ({tz})"])
        ws["A1"].font = BOLD
        ws.append(["名次 rank", "对象 subject", "名称 name", "得分 score", "末位预警 warned",
                   *(f"{PART_LABELS.get(p, (p,))[0]} {p}" for p in parts)])
        for cell in ws[2]:
            cell.font = BOLD
        for s in items:
            title = _name(names, "department", s["subject"]) if kind == "departments" \
                else s["subject"]
            ws.append([s["rank"], s["subject"], title, s["score"],
                       yes_no(bool(s["warned"])), *(s["parts"][p] for p in parts)])
        _widths(ws, 4, len(parts) + 2)
    return _save(wb)
