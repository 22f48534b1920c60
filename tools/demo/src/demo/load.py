"""Registers the officials and enterprises and logs the visits; each step skips what already exists."""
from __future__ import annotations

from demo import enterprises as ent
from demo import people
from demo.api import Api
from demo.plan import Visit


def officials(api: Api) -> int:
    existing = {o["official_id"] for o in api.get("visits", "/officials").json()}
    created = 0
    for oid, name, rank, unit in people.ALL:
        if oid not in existing:
            body = {"official_id": oid, "name": name, "rank": rank, "unit": unit}
            api.post("visits", "/officials", body, key=f"demo/official/{oid}")
            created += 1
    return created


def enterprises(api: Api, listed: list[ent.Enterprise]) -> tuple[int, int]:
    """(imported, already registered) from the platform export."""
    files = {"file": ("大程镇五上企业清单.csv", ent.export_csv(listed), "text/csv")}
    report = api.post("visits", "/enterprises/import", files=files, ok=(200,)).json()
    if report["errors"]:
        raise RuntimeError(f"the import refused rows: {report['errors']}")
    return len(report["imported"]), len(report["already_registered"])


def _body(v: Visit) -> dict:
    return {
        "enterprise_id": v.enterprise.enterprise_id,
        "visited_on": v.visited_on.isoformat(),
        "visitor_ids": v.visitor_ids,
        "channel": v.channel,
        "kind": v.kind,
        "services": v.services,
        "summary": v.summary,
        "demands": [{"category": d.category, "description": d.description, "resolved_on_spot": d.spot} for d in v.demands],
    }


def visits(api: Api, planned: list[Visit]) -> tuple[int, dict[int, str]]:
    """(visits created, visit_id of each planned visit by its index)."""
    logged = {(v["enterprise_id"], v["visited_on"]): v["visit_id"] for v in api.get("visits", "/visits").json()}
    ids: dict[int, str] = {}
    created = 0
    for n, v in enumerate(planned):
        natural = (v.enterprise.enterprise_id, v.visited_on.isoformat())
        if natural in logged:
            ids[n] = logged[natural]
            continue
        key = f"demo/visit/{natural[0]}/{natural[1]}"
        ids[n] = api.post("visits", "/visits", _body(v), key=key).json()["visit_id"]
        created += 1
    return created, ids
