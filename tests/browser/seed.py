"""Data a browser test needs before it starts, put in through the services' APIs (not the console under test)."""
from __future__ import annotations

import uuid

import httpx

from demo.uscc import make

CLERK = {"Authorization": "Bearer dev-dacheng-clerk"}
TOWNSHIP = "dacheng"


def uscc() -> str:
    """A valid, unused 统一社会信用代码."""
    return make(uuid.uuid4().hex)


def official(ui, name: str = "测试干部", rank: str = "township", oid: str = "") -> str:
    oid = oid or f"o-{uuid.uuid4().hex[:8]}"
    r = httpx.post(f"{ui.url('visits')}/api/v1/townships/{TOWNSHIP}/officials", headers=CLERK,
                   json={"official_id": oid, "name": name, "rank": rank, "unit": "镇政府"})
    r.raise_for_status()
    return oid


def enterprise(ui, name: str, officials: list[str] = (), category: str = "industry") -> str:
    eid = uscc()
    r = httpx.post(f"{ui.url('visits')}/api/v1/townships/{TOWNSHIP}/enterprises", headers=CLERK,
                   json={"enterprise_id": eid, "name": name, "category": category, "registered_on": "2026-01-05",
                         "assigned_official_ids": list(officials)})
    r.raise_for_status()
    return eid


def visit(ui, enterprise_id: str, visitors: list[str], on: str, demands: list[dict] = (), kind: str = "routine") -> dict:
    r = httpx.post(f"{ui.url('visits')}/api/v1/townships/{TOWNSHIP}/visits", headers=CLERK,
                   json={"enterprise_id": enterprise_id, "visited_on": on, "visitor_ids": visitors, "channel": "in_person",
                         "kind": kind, "demands": list(demands)})
    r.raise_for_status()
    return r.json()


def issue(ui, enterprise_id: str, description: str = "用工缺口约10人", category: str = "labour", raised_on: str = "2026-03-02") -> dict:
    r = httpx.post(f"{ui.url('issues')}/api/v1/townships/{TOWNSHIP}/issues", headers=CLERK,
                   json={"enterprise_id": enterprise_id, "category": category, "description": description,
                         "source": "hotline", "raised_on": raised_on})
    r.raise_for_status()
    return r.json()


COUNTY_ADMIN = {"Authorization": "Bearer dev-county-admin"}


def county_unit(ui, unit_id: str, name: str, head: str = "") -> None:
    """A county unit (县直部门), registered through the issues service as the county admin."""
    r = httpx.put(f"{ui.url('issues')}/api/v1/townships/county/units/{unit_id}", headers=COUNTY_ADMIN,
                  json={"name": name, "kind": "county_department", "head": head or None, "active": True})
    r.raise_for_status()


def unit_webhook(ui, unit_id: str, url: str) -> None:
    """The unit's group robot in the notifier (a URL nobody answers: its notices are recorded as failing)."""
    r = httpx.put(f"{ui.url('notifier')}/api/v1/recipients/units/{unit_id}", headers=COUNTY_ADMIN,
                  json={"webhook": {"url": url, "format": "wecom"}, "sms": [], "email": []})
    r.raise_for_status()


def no_quiet_hours(ui) -> None:
    """Notices go out at once whatever the machine's hour (the default quiet hours, 22:00–07:30 China time, would hold
    them for a run in the evening)."""
    r = httpx.put(f"{ui.url('notifier')}/api/v1/settings", headers=COUNTY_ADMIN,
                  json={"quiet_hours": None, "digest_weekday": 7, "digest_time": "23:59"})
    r.raise_for_status()
