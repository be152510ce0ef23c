"""A case through its whole lifecycle, its timers firing, and a report, on the cluster: the
street's own tests of these, run unchanged against it (the fixtures come from this folder's
conftest)."""

from __future__ import annotations

from tests.cases.conftest import cases
from tests.cases.test_cases_lifecycle import phone, test_report_to_rating
from tests.cases.test_cases_timers import desk, test_each_timer_fires_once_at_its_time

__all__ = ["cases", "desk", "phone", "test_each_timer_fires_once_at_its_time",
           "test_report_to_rating"]
