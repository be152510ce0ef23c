"""A report on the cluster: periods, downloads and the cases behind a figure (the reports'
own test, run unchanged against it)."""

from __future__ import annotations

from tests.reports.test_report_api import (
    cases,
    test_periods_downloads_and_the_cases_behind_a_figure,
)

__all__ = ["cases", "test_periods_downloads_and_the_cases_behind_a_figure"]
