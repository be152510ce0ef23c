"""A small district for tests: the first streets of the district preset (distinct grids
that tile their part of the district), the district centre's people, and a case of one
street escalated up to the district (the third tier)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from dispatch.bootstrap import bootstrap
from dispatch.cases.commands import ReportCommand
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.org.district_preset import CENTRE, centre_people, district_preset
from dispatch.org.district_seed import seed_district
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.cases.helpers import HW_ITEM, Places
from tests.conftest import PASSWORD, run_async

#: How many streets the small district has (enough to tell them apart, quick to seed).
STREETS = 3
HOUR_MS = 3_600_000
#: The rules' SR01 (sanitation) with a third tier to the district: 2 h limit, then +1 h
#: the lead, +4 h the street's centre, +8 h the district.
DISTRICT_TIER_RULE = """
[[rule]]
id = "sanitation-to-the-district"
priority = 40
match = { items = ["SR01"] }
department = "hw"
limit = "2h"
clock = "clock"
escalation = [
  { after = "1h", notify = "lead", name_zh = "环卫督办", name_en = "Sanitation lead reminded" },
  { after = "4h", notify = "dispatcher", name_zh = "中心督办", name_en = "Street centre" },
  { after = "8h", notify = "district", name_zh = "区级督办", name_en = "The district supervises" },
]
"""


def small_district() -> list[OrgData]:
    return district_preset()[:STREETS]


def district_overrides(tmp_path: Path, **more: Any) -> dict[str, Any]:
    """Settings of a deployment serving the small district and its centre, with the
    rules that escalate sanitation cases to the district."""
    default = Path(__file__).resolve().parents[1] / "dispatch" / "rules" / "default_rules.toml"
    rules = tmp_path / "district-rules.toml"
    rules.write_text(default.read_text(encoding="utf-8") + DISTRICT_TIER_RULE, encoding="utf-8")
    codes = ",".join(s.street.code for s in small_district())
    return {"streets": codes, "district": CENTRE, "rules_file": rules, **more}


def seed_small_district(settings: Settings) -> list[OrgData]:
    streets = small_district()
    run_async(seed_district(settings, streets, CENTRE, centre_people(), PASSWORD))
    return streets


def escalate_to_district(settings: Settings, street: OrgData, t0: int) -> str:
    """A sanitation case reported at ``t0`` in ``street``'s grid 001, left until past the
    third tier: its alert is escalated to the district. Returns the case's id."""
    code = street.street.code
    lat, lon = Places(street.grids).point("001")

    async def go() -> str:
        c = bootstrap(dataclasses.replace(settings, street=code))
        try:
            await c.rules.ensure_installed()
            cmd = ReportCommand(f"{code}-escalated-{t0}", HW_ITEM, lat, lon, "垃圾满溢", None,
                                (), None)
            case, _ = await c.cases.report(Principal(f"{code}.gw001", Role.GRID_WORKER, "001"),
                                           cmd, now_ms=t0)
            for hours in (3, 6, 10):  # past each tier
                await c.cases.fire_due(t0 + hours * HOUR_MS)
            return str(case["id"])
        finally:
            await c.aclose()

    return str(run_async(go()))
