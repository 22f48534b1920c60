"""CloudEvents written by hand as another county system would, independent of the contracts package."""
from __future__ import annotations

import json
import random
import uuid
from datetime import date

CS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W = [pow(3, i, 31) for i in range(17)]
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]


def uscc(rng: random.Random) -> str:
    """A random code that passes both GB 32100 and GB 11714 checks."""
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    org = 11 - sum(int(c, 36) * w for c, w in zip(body, ORG_W)) % 11
    org_ch = {10: "X", 11: "0"}.get(org, str(org))
    first17 = "91" + "610422" + body + org_ch
    return first17 + CS[(31 - sum(CS.index(c) * w for c, w in zip(first17, W)) % 31) % 31]


def envelope(event_type: str, township: str, subject: str, data: dict, event_id: str | None = None) -> dict:
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "source": f"/townships/{township}/visits",
        "subject": subject,
        "time": "2026-03-02T10:30:00+08:00",
        "datacontenttype": "application/json",
        "township": township,
        "data": data,
    }


def visit_logged(township: str, enterprise_id: str, visit_id: str, visited_on: date, **extra) -> dict:
    data = {
        "visit_id": visit_id,
        "enterprise_id": enterprise_id,
        "visited_on": visited_on.isoformat(),
        "channel": "in_person",
        "kind": "routine",
        "visitors": [{"official_id": "c-1", "name": "王县长", "rank": "county"}],
        "services": ["policy"],
        "summary": "",
        "demands": [],
        **extra,
    }
    return envelope("VisitLogged", township, visit_id, data)


def enterprise_registered(township: str, enterprise_id: str, registered_on: date, name: str = "测试企业",
                          assigned_officials: tuple[dict, ...] = ()) -> dict:
    data = {
        "enterprise_id": enterprise_id,
        "name": name,
        "category": "industry",
        "registered_on": registered_on.isoformat(),
        "park": None,
        "assigned_officials": list(assigned_officials),  # [{official_id, name, rank}]: its 包抓 leaders
    }
    return envelope("EnterpriseRegistered", township, enterprise_id, data)


def unit_registered(township: str, unit_id: str, name: str, head: str | None = None,
                    kind: str = "county_department") -> dict:
    """A responsible unit as the issues service registers it (`township` "county" for a county unit)."""
    data = {"unit_id": unit_id, "name": name, "kind": kind, "parent_id": None, "head": head, "active": True}
    return envelope("UnitRegistered", township, unit_id, data)


def issue_raised(township: str, issue_id: str, enterprise_id: str, raised_on: date, deadline: date,
                 unit_id: str | None = None, responsible_unit: str | None = None, description: str = "招工难",
                 category: str = "labour") -> dict:
    data = {"issue_id": issue_id, "enterprise_id": enterprise_id, "source": "visit", "visit_id": None,
            "category": category, "description": description, "responsible_unit": responsible_unit,
            "raised_on": raised_on.isoformat(), "deadline": deadline.isoformat()}
    if unit_id is not None:
        data["unit_id"] = unit_id
    return envelope("IssueRaised", township, issue_id, data)


def issue_escalated(township: str, issue_id: str, enterprise_id: str, level: str, previous_level: str, on: date,
                    deadline: date, overdue_working_days: int = 0, unit_id: str | None = None,
                    responsible_unit: str | None = None) -> dict:
    data = {"issue_id": issue_id, "enterprise_id": enterprise_id, "level": level, "previous_level": previous_level,
            "on": on.isoformat(), "deadline": deadline.isoformat(), "overdue_working_days": overdue_working_days,
            "responsible_unit": responsible_unit}
    if unit_id is not None:
        data["unit_id"] = unit_id
    return envelope("IssueEscalated", township, issue_id, data)


def encode(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()
