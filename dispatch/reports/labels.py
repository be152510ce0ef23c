"""What each figure, group, rhythm and score part is called, in Chinese and English (the
downloads' headers; the report page has the same words in its own texts)."""

from __future__ import annotations

FIGURE_LABELS: dict[str, tuple[str, str]] = {
    "reported": ("上报", "Reported"),
    "duplicates": ("重复上报", "Duplicates"),
    "dispatched": ("派遣", "Dispatched"),
    "closed": ("结案", "Closed"),
    "reported_closed": ("上报已结案", "Reported and closed"),
    "cancelled": ("撤销", "Cancelled"),
    "due": ("到期", "Due"),
    "due_suspended": ("到期挂账", "Due but suspended"),
    "closed_in_time": ("按期结案", "Closed in time"),
    "overdue": ("超期", "Overdue"),
    "verified": ("核查", "Verified"),
    "reworks": ("返工", "Reworks"),
    "reopened": ("重新办理", "Reopened"),
    "supervised": ("督办", "Supervised"),
    "ratings": ("评议", "Ratings"),
    "parts_due": ("协办到期", "Assisting parts due"),
    "parts_in_time": ("协办按期", "Assisting parts in time"),
    "parts_overdue": ("协办超期", "Assisting parts overdue"),
    "parts_reported": ("协办办结", "Assisting parts reported"),
    "parts_reworks": ("协办返工", "Assisting parts reworked"),
    "summoned": ("吹哨", "Summoned (whistle)"),
    "checkins_on_time": ("按时报到", "On site in time"),
    "checkins_late": ("报到超时", "Not on site in time"),
    "arrival_mean_s": ("平均到场用时（秒）", "Mean time to arrive (s)"),
    "patrols_complete": ("完成巡查", "Patrols complete"),
    "patrols_incomplete": ("未完成巡查", "Patrols incomplete"),
    "patrols_missed": ("漏巡", "Patrols missed"),
    "patrols_extra": ("加巡", "Extra patrols"),
    "patrols_assistant": ("辅助员巡查", "Grid assistants' patrols"),
    "closure_rate": ("结案率", "Closure rate"),
    "on_time_rate": ("按期结案率", "On-time rate"),
    "patrol_rate": ("巡查完成率", "Patrol completion"),
    "rating_mean": ("平均评分", "Mean rating"),
}
GROUP_LABELS: dict[str, tuple[str, str]] = {
    "total": ("全街道", "Street"),
    "station": ("网格站", "Station"),
    "department": ("部门", "Department"),
}
KIND_LABELS: dict[str, tuple[str, str]] = {
    "daily": ("每日一汇总", "Daily summary"),
    "weekly": ("每周一督促", "Weekly push"),
    "monthly": ("每月一调度", "Monthly dispatch meeting"),
}
PART_LABELS: dict[str, tuple[str, str]] = {
    "patrol": ("巡查", "Patrols"),
    "reports": ("上报", "Reports"),
    "verify": ("核查及时", "Verification speed"),
    "on_time": ("按期结案", "On time"),
    "rework": ("返工", "Rework"),
    "overdue": ("超期", "Overdue"),
    "handling": ("办理时长", "Handling time"),
    "supervised": ("督办", "Supervision"),
    "rating": ("评议", "Rating"),
    "checkin": ("吹哨报到", "Whistle check-ins"),
}


def figure_label(name: str) -> tuple[str, str]:
    return FIGURE_LABELS.get(name, (name, name))
