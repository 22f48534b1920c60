"""接触次数, the contact budget: every contact of government with an enterprise, per enterprise per month, county-wide.

A contact is a visit logged (VisitLogged, in the month of visited_on), a visit planned and neither cancelled nor done
(VisitPlanned, in the month of planned_on; a VisitLogged with its plan_id is the same contact, counted once, as the
visit), or a demand that came by the 12345 hotline or the enterprise-service platform (IssueRaised with source
hotline or platform, in the month of raised_on). Townships do not matter: an enterprise on two lists has one count.

Projected from visits.v1 and issues.v1 into one document per enterprise (`contacts`, `_id` = enterprise_id) whose
every field is set to a value derived from the event alone (`visits.<key>`, `planned.<key>`, `cancelled.<key>`,
`done.<key>`, `demands.<key>`): a redelivered or reordered event writes the same values, so the count does not
depend on arrival order (a cancellation before its plan still cancels it). `months` lists the months with a contact,
for the county view's query on MongoDB 8."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Optional

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from contracts.envelope import CloudEvent

CONTACTS = "contacts"
DEFAULT_BUDGET = 4  # contacts per enterprise per month, county-wide, until a county admin sets another
BUDGET_ID = "county:contact-budget"  # its document in township_settings
FROM_OUTSIDE = {"hotline", "platform"}  # 12345 and the enterprise-service platform


def month_of(day: date | str) -> str:
    return (day.isoformat() if isinstance(day, date) else day)[:7]


def _key(*parts: str) -> str:
    # A field name: no dots or dollars whatever an id holds.
    return ":".join(parts).replace(".", "_").replace("$", "_")


def update_for(event: CloudEvent[Any]) -> Optional[UpdateOne]:
    """The write one event makes to its enterprise's contacts (None if it is no contact)."""
    data, kind, t = event.data, event.type, event.township
    eid = getattr(data, "enterprise_id", None)
    if not eid:
        return None
    sets: dict[str, Any] = {}
    month = None
    if kind == "VisitLogged":
        month = month_of(data.visited_on)
        sets[f"visits.{_key(t, data.visit_id)}"] = {"on": data.visited_on.isoformat(), "township": t,
                                                   "lead": data.visitors[0].name}
        if plan_id := getattr(data, "plan_id", None):
            sets[f"done.{_key(t, plan_id)}"] = True
    elif kind == "VisitPlanned":
        month = month_of(data.planned_on)
        sets[f"planned.{_key(t, data.plan_id)}"] = {"plan_id": data.plan_id, "on": data.planned_on.isoformat(),
                                                    "township": t, "lead": data.lead.name}
    elif kind == "VisitPlanCancelled":
        sets[f"cancelled.{_key(t, data.plan_id)}"] = True
    elif kind == "IssueRaised" and getattr(data.source, "value", data.source) in FROM_OUTSIDE:
        month = month_of(data.raised_on)
        sets[f"demands.{_key(t, data.issue_id)}"] = {"on": data.raised_on.isoformat(), "township": t,
                                                     "source": getattr(data.source, "value", data.source)}
    elif kind in ("EnterpriseRegistered", "EnterpriseChanged"):
        sets["name"] = data.name
    else:
        return None
    change: dict[str, Any] = {"$set": {"enterprise_id": eid, **sets}}
    if month:
        change["$addToSet"] = {"months": month}
    return UpdateOne({"_id": eid}, change, upsert=True)


async def project(db: AsyncDatabase, events: Iterable[CloudEvent[Any]]) -> None:
    updates = [u for u in map(update_for, events) if u is not None]
    if updates:
        await db[CONTACTS].bulk_write(updates, ordered=True)


@dataclass
class Count:
    """One enterprise's contacts in one month."""

    enterprise_id: str
    name: Optional[str]
    month: str
    visits: int = 0
    planned: int = 0
    demands: int = 0
    townships: list[str] = field(default_factory=list)
    open_plans: list[dict[str, Any]] = field(default_factory=list)  # planned, not cancelled nor done: joinable

    @property
    def contacts(self) -> int:
        return self.visits + self.planned + self.demands

    def shown(self, budget: int) -> dict[str, Any]:
        return {"enterprise_id": self.enterprise_id, "name": self.name, "month": self.month, "contacts": self.contacts,
                "visits": self.visits, "planned": self.planned, "demands": self.demands, "townships": self.townships,
                "over_budget": self.contacts > budget, "open_plans": self.open_plans}


def count(doc: dict[str, Any], month: str) -> Count:
    """Pure: the month's contacts from an enterprise's document."""
    c = Count(doc.get("enterprise_id") or doc["_id"], doc.get("name"), month)
    townships: set[str] = set()
    for entry in (doc.get("visits") or {}).values():
        if month_of(entry["on"]) == month:
            c.visits += 1
            townships.add(entry["township"])
    gone = set(doc.get("cancelled") or {}) | set(doc.get("done") or {})
    for k, entry in (doc.get("planned") or {}).items():
        if k not in gone and month_of(entry["on"]) == month:
            c.planned += 1
            townships.add(entry["township"])
            c.open_plans.append({k2: entry[k2] for k2 in ("plan_id", "on", "township", "lead")})
    for entry in (doc.get("demands") or {}).values():
        if month_of(entry["on"]) == month:
            c.demands += 1
            townships.add(entry["township"])
    c.townships = sorted(townships)
    c.open_plans.sort(key=lambda p: (p["on"], p["plan_id"]))
    return c


def ranked(docs: Iterable[dict[str, Any]], month: str) -> list[Count]:
    """The month's most-contacted enterprises first (ties by enterprise id); none without a contact that month."""
    counts = [c for c in (count(d, month) for d in docs) if c.contacts]
    return sorted(counts, key=lambda c: (-c.contacts, c.enterprise_id))


def warning(c: Count, budget: int, planned_on: date, plan_id: Optional[str] = None) -> Optional[dict[str, Any]]:
    """What a planner is told when one more planned visit (`plan_id`, not counted in `c` yet) puts the enterprise over
    the county's budget for the month: its contacts with this one, and the visits planned that it could join instead
    (the nearest first)."""
    join = [p for p in c.open_plans if p["plan_id"] != plan_id]
    contacts = c.contacts + (len(join) == len(c.open_plans))  # a retry of a plan already projected counts once
    if contacts <= budget:
        return None
    join.sort(key=lambda p: (abs((date.fromisoformat(p["on"]) - planned_on).days), p["on"], p["plan_id"]))
    hint = (f"；建议并入 {join[0]['on']} {join[0]['lead']} 带队的走访 (join the visit planned on {join[0]['on']} with "
            f"{join[0]['lead']})" if join else "")
    return {
        "code": "contact_budget",
        "message": (f"该企业 {c.month} 已被接触 {contacts} 次，超过全县每月 {budget} 次的接触预算 (the enterprise has "
                    f"{contacts} contacts in {c.month}, over the county's budget of {budget}){hint}"),
        "enterprise_id": c.enterprise_id, "month": c.month, "contacts": contacts, "budget": budget, "join": join,
    }


async def plan_warning(db: AsyncDatabase, settings: str, enterprise_id: str, planned_on: date,
                       plan_id: Optional[str] = None) -> Optional[dict[str, Any]]:
    """For the plan handler: the warning for a new plan of this enterprise on `planned_on`, or None within budget."""
    limit = (await budget(db, settings))["max_contacts_per_month"]
    return warning(await of_enterprise(db, enterprise_id, month_of(planned_on)), limit, planned_on, plan_id)


# --- reads ---------------------------------------------------------------------------------------------------


async def budget(db: AsyncDatabase, settings: str) -> dict[str, Any]:
    doc = await db[settings].find_one({"_id": BUDGET_ID}) or {}
    return {"max_contacts_per_month": doc.get("max_contacts_per_month", DEFAULT_BUDGET),
            "recorded_by": doc.get("recorded_by"), "recorded_at": doc.get("recorded_at"), "history": doc.get("history", [])}


async def set_budget(db: AsyncDatabase, settings: str, n: int, by: str, at: str) -> None:
    stamp = {"recorded_by": by, "recorded_at": at}
    await db[settings].update_one(
        {"_id": BUDGET_ID},
        {"$set": {"max_contacts_per_month": n, **stamp}, "$push": {"history": {"max_contacts_per_month": n, **stamp}}},
        upsert=True,
    )


async def of_enterprise(db: AsyncDatabase, enterprise_id: str, month: str) -> Count:
    doc = await db[CONTACTS].find_one({"_id": enterprise_id}) or {"_id": enterprise_id}
    return count(doc, month)


async def of_month(db: AsyncDatabase, month: str) -> list[Count]:
    return ranked(await db[CONTACTS].find({"months": month}).to_list(), month)


async def ensure_indexes(db: AsyncDatabase) -> None:
    await db[CONTACTS].create_index([("months", 1)])  # the county view's month (MongoDB 8)
