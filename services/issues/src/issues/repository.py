"""Mongo mapper of the issues service: one document per issue carrying its history and its outbox.

The only code that knows the documents: `_id`, the `version` compare-and-set, the outbox fields, `$push`. An issue
is inserted with its first event, and every change after is one update_one by `_id` compare-and-set on the version
it was read at, carrying the new state, the history entries and the events' outbox entries: right with any number
of replicas."""
from __future__ import annotations

from datetime import date
from typing import Any, Optional

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from buildingblocks import outbox
from buildingblocks.outbox import entry as outbox_entry
from contracts.enums import IssueCategory, IssueSource, Level, Outcome, Satisfaction
from contracts.envelope import new_event
from contracts.topics import ISSUES as ISSUES_TOPIC
from issues.domain import ISSUE, OPEN, ROUTED, SLA, UNROUTED, Change, Issue
from issues.domain.calendar import YearSchedule, parse_schedule
from issues.domain.rules import Rules

ISSUES, SETTINGS, CALENDAR, UNITS = "issues", "township_settings", "calendar_years", "units"
# {_id: "calendar", v: n}: bumped after every schedule saved, so every replica sees a new schedule on its next
# request that counts days (one lookup by _id) and rereads the few schedules only then.
CALENDAR_VERSION = "calendar_version"
OUTBOX_COLLECTIONS = [ISSUES, UNITS]
UNIT_FIELDS = ("unit_id", "township", "name", "kind", "parent_id", "head", "contact", "active", "recorded_by", "recorded_at")
REQUEST = "request_hash"  # the fingerprint of the request that raised the issue (Idempotency-Key)
INTERNAL = ("_id", "outbox", outbox.UNSENT, "version", REQUEST, "co_unit_ids")  # never shown
FINDING_FIELDS = ("found_by", "subject_kind", "subject_name", "subject_unit_id")
_NO_OUTBOX = {"outbox": 0, outbox.UNSENT: 0}
D = date.fromisoformat


def key(township: str, issue_id: str) -> str:
    return f"{township}:{issue_id}"


def _iso(day: Optional[date]) -> Optional[str]:
    return day.isoformat() if day else None


def _value(member) -> Optional[str]:
    return member.value if member is not None else None


def state(issue: Issue) -> dict[str, Any]:
    """The issue as stored and shown (without `_id`, version and outbox)."""
    doc = {
        "township": issue.township,
        "issue_id": issue.issue_id,
        "kind": issue.kind,
        "enterprise_id": issue.enterprise_id,
        "source": issue.source.value,
        "visit_id": issue.visit_id,
        "category": issue.category.value,
        "description": issue.description,
        "responsible_unit": issue.responsible_unit,
        "raised_on": issue.raised_on.isoformat(),
        "deadline": issue.deadline.isoformat(),
        "deadline_provisional": issue.deadline_provisional,
        "deadline_rule": issue.deadline_rule,
        "deadline_anchor": issue.deadline_anchor.isoformat(),
        "origin": issue.origin,
        "status": issue.status,
        "level": issue.level.value,
        "closed_on": _iso(issue.closed_on),
        "outcome": _value(issue.outcome),
        "resolution": issue.resolution,
        "satisfaction": _value(issue.satisfaction),
        "unit_id": issue.unit_id,
        "unit_registered": issue.unit_id is not None,
        "routing": issue.routing,
        "assigned_on": _iso(issue.assigned_on),
        "acknowledged_on": _iso(issue.acknowledged_on),
        "co_units": [dict(c) for c in issue.co_units],
        "co_unit_ids": [c["unit_id"] for c in issue.co_units],  # what the unit queue asks for
        "progress": list(issue.progress),
        "extension_requests": [dict(r) for r in issue.extension_requests],
        "follow_ups": list(issue.follow_ups),
        "external_id": issue.external_id,
        "source_system": issue.source_system,
    }
    if issue.finding is not None:
        doc.update(issue.finding)
    if issue.overdue_working_days is not None:  # absent until the first escalation, as before
        doc["overdue_working_days"] = issue.overdue_working_days
    return {**doc, "history": list(issue.history)}


def view(issue: Issue) -> dict[str, Any]:
    """The issue as the API shows it."""
    return state(issue)


def visible(doc: dict[str, Any], *hide: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in INTERNAL and k not in hide}


def issue_from(doc: dict[str, Any]) -> Issue:
    def day(name: str) -> Optional[date]:
        return D(doc[name]) if doc.get(name) else None

    return Issue(
        township=doc["township"], issue_id=doc["issue_id"], enterprise_id=doc["enterprise_id"],
        source=IssueSource(doc["source"]), category=IssueCategory(doc["category"]), description=doc["description"],
        raised_on=D(doc["raised_on"]), deadline=D(doc["deadline"]),
        deadline_anchor=D(doc.get("deadline_anchor") or doc["raised_on"]), visit_id=doc.get("visit_id"),
        responsible_unit=doc.get("responsible_unit"), deadline_provisional=bool(doc.get("deadline_provisional")),
        deadline_rule=doc.get("deadline_rule") or SLA, origin=doc.get("origin"), status=doc["status"],
        level=Level(doc.get("level") or Level.none.value), overdue_working_days=doc.get("overdue_working_days"),
        closed_on=day("closed_on"), outcome=Outcome(doc["outcome"]) if doc.get("outcome") else None,
        resolution=doc.get("resolution"),
        satisfaction=Satisfaction(doc["satisfaction"]) if doc.get("satisfaction") else None,
        request=doc.get(REQUEST), history=list(doc.get("history", [])), version=doc["version"],
        kind=doc.get("kind") or ISSUE, unit_id=doc.get("unit_id"),
        # Raised before units: routed when it names a unit, from the day raised.
        routing=doc.get("routing") or (ROUTED if doc.get("responsible_unit") else UNROUTED),
        assigned_on=day("assigned_on") or (D(doc["raised_on"]) if doc.get("responsible_unit") else None),
        acknowledged_on=day("acknowledged_on"), co_units=[dict(c) for c in doc.get("co_units") or []],
        progress=list(doc.get("progress") or []),
        extension_requests=[dict(r) for r in doc.get("extension_requests") or []],
        follow_ups=list(doc.get("follow_ups") or []), external_id=doc.get("external_id"),
        source_system=doc.get("source_system"),
        finding={k: doc.get(k) for k in FINDING_FIELDS} if doc.get("kind") == "finding" else None,
    )


def _outbox_entry(township: str, change: Change) -> dict[str, Any]:
    event = new_event(change.event, township=township, source=f"/townships/{township}/issues", time=change.at)
    return outbox_entry(event, ISSUES_TOPIC)


class Repository:
    def __init__(self, db: AsyncDatabase):
        self.db = db

    async def ensure_indexes(self) -> None:
        """What MongoDB 8 needs to serve every query below from an index (README: "The store")."""
        await self.db[ISSUES].create_index([("township", 1), ("status", 1), ("raised_on", 1), ("issue_id", 1)])
        await self.db[ISSUES].create_index([("township", 1), ("raised_on", 1), ("issue_id", 1)])
        await self.db[ISSUES].create_index([("township", 1), ("enterprise_id", 1), ("raised_on", 1)])
        await self.db[ISSUES].create_index([("status", 1), ("deadline_provisional", 1), ("township", 1)])
        await self.db[ISSUES].create_index([("unit_id", 1), ("raised_on", 1), ("issue_id", 1)])  # the unit queue
        await self.db[ISSUES].create_index([("co_unit_ids", 1), ("raised_on", 1), ("issue_id", 1)])
        await self.db[UNITS].create_index([("township", 1), ("unit_id", 1)])

    # ------------------------------------------------------------------------------------------ the aggregate

    async def add(self, issue: Issue) -> bool:
        """Insert a new issue with its events; False when it exists already (intake is exactly-once by the id)."""
        entries = [_outbox_entry(issue.township, c) for c in issue.changes]
        doc = {"_id": key(issue.township, issue.issue_id), **state(issue), "version": 1, **outbox.new(entries)}
        if issue.request is not None:
            doc[REQUEST] = issue.request
        try:
            await self.db[ISSUES].insert_one(doc)
        except DuplicateKeyError:
            return False
        outbox.written(ISSUES, doc["_id"], entries)
        issue.version, issue.changes = 1, []
        return True

    async def get(self, township: str, issue_id: str) -> Optional[Issue]:
        doc = await self.db[ISSUES].find_one({"_id": key(township, issue_id)}, _NO_OUTBOX)
        return issue_from(doc) if doc else None

    async def save(self, issue: Issue) -> bool:
        """The issue's state, its new history entries and their events in one write, compare-and-set on the version
        it was read at; False if someone changed it meanwhile (then nothing is written)."""
        if not issue.changes:
            return True
        entries = [_outbox_entry(issue.township, c) for c in issue.changes]
        fields = {k: v for k, v in state(issue).items() if k != "history"}
        update = {"$set": fields, "$inc": {"version": 1},
                  "$push": {"history": {"$each": [c.history for c in issue.changes]}, **outbox.push(entries)}}
        _id = key(issue.township, issue.issue_id)
        result = await self.db[ISSUES].update_one({"_id": _id, "version": issue.version}, update)
        if result.modified_count != 1:
            return False
        outbox.written(ISSUES, _id, entries)
        issue.version, issue.changes = issue.version + 1, []
        return True

    async def open_issues(self, township: str) -> list[Issue]:
        return [issue_from(d) for d in await self._find({"township": township, "status": OPEN})]

    async def provisional_sla_deadlines(self) -> list[Issue]:
        """Every township's open issues whose SLA deadline was counted over a year without its schedule."""
        query = {"status": OPEN, "deadline_provisional": True, "deadline_rule": SLA}
        return [issue_from(d) for d in await self._find(query)]

    async def townships(self) -> list[str]:
        """The townships with open issues (the sweep's round)."""
        return sorted({d["township"] async for d in self.db[ISSUES].find({"status": OPEN}, {"township": 1})})

    # ------------------------------------------------------------------------------------------- what is read

    async def shown(self, township: str, issue_id: str) -> Optional[dict[str, Any]]:
        """The issue with its full history, as the API shows it."""
        doc = await self.db[ISSUES].find_one({"_id": key(township, issue_id)}, _NO_OUTBOX)
        return visible(doc) if doc else None

    async def ledger(
        self,
        township: Optional[str],
        *,
        status: Optional[str] = None,
        enterprise_id: Optional[str] = None,
        overdue_on: Optional[date] = None,
        level: Optional[Level] = None,
        responsible_unit: Optional[str] = None,
        provisional: bool = False,
        kind: Optional[str] = None,
        routing: Optional[str] = None,
        unit_id: Optional[str] = None,
    ) -> list[dict[str, Any]]:
        """The ledger (without histories), by day raised: a township's, or the county's (`township=None`);
        `overdue_on`: only the open issues whose deadline is before that day."""
        query: dict[str, Any] = {} if township is None else {"township": township}
        if status:
            query["status"] = status
        if enterprise_id:
            query["enterprise_id"] = enterprise_id
        if overdue_on:
            query.update(status=OPEN, deadline={"$lt": overdue_on.isoformat()})
        if level:
            query["level"] = level.value
        if responsible_unit:
            query["responsible_unit"] = responsible_unit
        if provisional:
            query["deadline_provisional"] = True
        if kind == "finding":
            query["kind"] = kind
        elif kind == "issue":  # raised before findings existed: no kind stored
            query["kind"] = {"$ne": "finding"}
        if routing:
            query["routing"] = routing
        if unit_id:
            query["unit_id"] = unit_id
        return [visible(d, "history") for d in await self._find(query)]

    async def unit_queue(self, unit_id: str, *, township: Optional[str] = None,
                         status: Optional[str] = None) -> list[dict[str, Any]]:
        """The issues a unit leads or co-handles, across townships (or in one), by day raised."""
        query: dict[str, Any] = {"$or": [{"unit_id": unit_id}, {"co_unit_ids": unit_id}]}
        if township is not None:
            query["township"] = township
        if status:
            query["status"] = status
        return [visible(d, "history") for d in await self._find(query)]

    async def _find(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.db[ISSUES].find(query, _NO_OUTBOX).sort([("raised_on", 1), ("issue_id", 1)]).to_list()

    # ------------------------------------------------------------------------------------ units and routing

    async def unit(self, unit_id: str) -> Optional[dict[str, Any]]:
        doc = await self.db[UNITS].find_one({"_id": unit_id}, _NO_OUTBOX)
        return {k: doc.get(k) for k in UNIT_FIELDS} if doc else None

    async def units(self, townships: list[str]) -> list[dict[str, Any]]:
        docs = await self.db[UNITS].find({"township": {"$in": townships}}, _NO_OUTBOX).to_list()
        return sorted(({k: d.get(k) for k in UNIT_FIELDS} for d in docs), key=lambda u: (u["township"], u["unit_id"]))

    async def put_unit(self, unit: dict[str, Any], event: Any, at: Any) -> bool:
        """The unit's record and its UnitRegistered in one write; False if the id belongs to another township."""
        entries = [outbox_entry(new_event(event, township=unit["township"], source=f"/townships/{unit['township']}/units",
                                          time=at), ISSUES_TOPIC)]
        fields = {k: unit.get(k) for k in UNIT_FIELDS}
        try:
            await self.db[UNITS].insert_one({"_id": unit["unit_id"], **fields, **outbox.new(entries)})
        except DuplicateKeyError:
            result = await self.db[UNITS].update_one({"_id": unit["unit_id"], "township": unit["township"]},
                                                     {"$set": fields, "$push": outbox.push(entries)})
            if result.matched_count != 1:
                return False
        outbox.written(UNITS, unit["unit_id"], entries)
        return True

    async def routing(self, township: str) -> dict[str, Optional[str]]:
        doc = await self.db[SETTINGS].find_one({"_id": township})
        return dict((doc or {}).get("routing") or {})

    async def set_routing(self, township: str, routing: dict[str, Optional[str]], by: Optional[str] = None,
                          at: Optional[str] = None) -> None:
        """The routing, who set it last and when, and a history of every change."""
        stamp = {"routing_recorded_by": by, "routing_recorded_at": at}
        await self.db[SETTINGS].update_one(
            {"_id": township},
            {"$set": {"routing": routing, **stamp}, "$push": {"routing_history": {"routing": routing, "by": by, "at": at}}},
            upsert=True)

    # ------------------------------------------------------------------------------- township rules, calendar

    async def rules(self, township: str) -> Rules:
        doc = await self.db[SETTINGS].find_one({"_id": township})
        # The document may hold only the routing: no rules saved yet are the defaults.
        return Rules.model_validate(doc["rules"]) if doc and doc.get("rules") else Rules()

    async def set_rules(self, township: str, rules: Rules, by: Optional[str] = None, at: Optional[str] = None) -> None:
        """The rules, who set them and when, and a history of every change (who, when, the rules set)."""
        stamp = {"recorded_by": by, "recorded_at": at}
        rules_doc = rules.model_dump(mode="json")
        await self.db[SETTINGS].update_one(
            {"_id": township}, {"$set": {"rules": rules_doc, **stamp}, "$push": {"history": {"rules": rules_doc, **stamp}}},
            upsert=True)

    async def rules_recorded(self, township: str) -> dict[str, Any]:
        """Who set the township's rules last and when, and every change."""
        doc = await self.db[SETTINGS].find_one({"_id": township}) or {}
        return {"recorded_by": doc.get("recorded_by"), "recorded_at": doc.get("recorded_at"), "history": doc.get("history", [])}

    async def schedules(self) -> dict[int, YearSchedule]:
        return {d["_id"]: parse_schedule(d["schedule"]) async for d in self.db[CALENDAR].find({})}

    async def save_schedule(self, year: int, data: dict[str, Any], by: Optional[str] = None, at: Optional[str] = None) -> None:
        stamp = {"recorded_by": by, "recorded_at": at}
        await self.db[CALENDAR].update_one({"_id": year}, {"$set": {"schedule": data, **stamp},
                                                           "$push": {"history": stamp}}, upsert=True)
        await self.db[CALENDAR_VERSION].update_one({"_id": "calendar"}, {"$inc": {"v": 1}}, upsert=True)  # after

    async def calendar_version(self) -> int:
        doc = await self.db[CALENDAR_VERSION].find_one({"_id": "calendar"})
        return doc["v"] if doc else 0
