"""Works the issues raised from the visits' demands: route, close (some late), reopen one, leave some open.

Every action first looks at the issue's state and history, so a second run does nothing.
"""
from __future__ import annotations

import time
from datetime import date, timedelta

from demo.api import Api
from demo.plan import Demand

QUARTER_END = date(2026, 3, 31)
SATISFACTION = ["very_satisfied", "satisfied", "satisfied", "basically_satisfied"]
RESOLUTION = {
    "labour": "组织专场招聘会并在园小二发布岗位，企业缺口已补齐",
    "financing": "对接县域合作银行，贷款已审批放款",
    "land": "用地需纳入国土空间规划调整，已向企业解释办理路径和时间",
    "approval": "园小二帮办代办，相关批复已办结",
    "market": "组织参加园区产品推介会，达成采购意向",
    "infrastructure": "协调相关单位施工，已完成修复/接入",
    "policy": "补贴资金已拨付到企业账户",
}


def wait_for(api: Api, expected: set[tuple[str, str]], timeout_s: float) -> dict[tuple[str, str], dict]:
    """The issues of (visit_id, description), polled until all exist (the issues service consumes VisitLogged)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = {(i.get("visit_id"), i["description"]): i for i in api.get("issues", "/issues").json()}
        if expected <= set(found) or time.monotonic() > deadline:
            missing = expected - set(found)
            if missing:
                raise TimeoutError(f"{len(missing)} of {len(expected)} issues not raised after {timeout_s:.0f}s")
            return {k: found[k] for k in expected}
        time.sleep(1)


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _clamp(day: date, raised: date) -> date:
    return min(max(day, raised), QUARTER_END)


def _close(api: Api, issue_id: str, on: date, demand: Demand, k: int, satisfaction: str | None = None) -> bool:
    body = {
        "closed_on": on.isoformat(),
        "outcome": "explained" if demand.category == "land" else "resolved",
        "resolution": RESOLUTION[demand.category],
        "satisfaction": satisfaction or SATISFACTION[k % len(SATISFACTION)],
    }
    r = api.post("issues", f"/issues/{issue_id}/close", body, ok=(200, 409))
    return r.status_code == 200  # 409: closed already


def work(api: Api, issue: dict, demand: Demand, k: int, unit_ids: dict[str, str] | None = None) -> dict[str, int]:
    """Bring one issue to its planned state; returns the actions taken. A unit of `unit_ids` (name → id) is routed
    to by its id, any other by its name (a free-text unit, shown as unregistered)."""
    done = {"assigned": 0, "closed": 0, "reopened": 0}
    if demand.fate == "open":
        return done
    iid = issue["issue_id"]
    doc = api.get("issues", f"/issues/{iid}").json()
    actions = [h["action"] for h in doc.get("history", [])]
    raised, deadline = _day(doc["raised_on"]), _day(doc["deadline"])
    if demand.unit and doc["status"] == "open" and "closed" not in actions and doc.get("responsible_unit") != demand.unit:
        unit_id = (unit_ids or {}).get(demand.unit)
        named = {"unit_id": unit_id} if unit_id else {"responsible_unit": demand.unit}
        api.post("issues", f"/issues/{iid}/assign",
                 {**named, "reason": "按职责转办", "assigned_on": (raised + timedelta(days=1)).isoformat()})
        done["assigned"] += 1
    if demand.fate == "open_assigned":
        return done
    if demand.fate == "reopen":
        if "reopened" not in actions:
            first = _clamp(deadline - timedelta(days=2), raised)
            if doc["status"] == "open":
                done["closed"] += _close(api, iid, first, demand, k, "dissatisfied")
                doc = api.get("issues", f"/issues/{iid}").json()
            body = {"reopened_on": (_day(doc["closed_on"]) + timedelta(days=5)).isoformat(),
                    "reason": "回访时企业表示问题未实际解决，不满意"}
            doc = api.post("issues", f"/issues/{iid}/reopen", body).json()
            done["reopened"] += 1
        if doc["status"] == "open":
            anchor = _day(doc["deadline_anchor"])
            done["closed"] += _close(api, iid, _clamp(anchor + timedelta(days=9), anchor), demand, k, "satisfied")
        return done
    if doc["status"] == "open":
        if demand.fate == "late":
            on = _clamp(deadline + timedelta(days=3 + k % 5), raised)
        else:
            on = _clamp(deadline - timedelta(days=k % 3), raised)
        done["closed"] += _close(api, iid, on, demand, k)
    return done
