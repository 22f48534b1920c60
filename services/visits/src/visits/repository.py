"""Mongo adapter of the visits service: the mapper between the domain's officials, enterprises and visits and their
documents, and the only code that knows those documents (`_id`, the outbox fields, the guard's fields).

One document per official, enterprise and visit; each write that publishes carries its events in the same document
(the outbox). Every change of an existing document is one update_one by `_id`, compare-and-set against the document
the aggregate was loaded from: correct with any number of replicas on MongoDB 8 and on mongo-java-server, both
atomic per document. The list endpoints' reads are plain queries (no aggregate is built for them)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Optional, Sequence, Union
from weakref import WeakKeyDictionary

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from buildingblocks import outbox
from contracts import events
from contracts.enums import Channel, EnterpriseCategory, EnterpriseStatus, Rank, Service, VisitKind
from contracts.envelope import new_event
from contracts.topics import VISITS as VISITS_TOPIC
from visits import contacts
from visits.domain import (
    DEFAULT_QUIET_DAYS,
    SEED_COUNTY,
    SEED_TOWNSHIPS,
    Answer,
    Assignment,
    Campaign,
    Enterprise,
    Official,
    PastVisit,
    Plan,
    Submission,
    Visit,
)
from visits.domain.officials import COUNTY
from visits.open_issues import ISSUE_STATES  # what visits knows of each issue, from issues.v1: open or not

log = logging.getLogger("visits")

OFFICIALS, ENTERPRISES, VISITS, SETTINGS = "officials", "enterprises", "visits", "township_settings"
TOWNSHIPS = "townships"  # the registry: {_id: township id, township, name, county}
CAMPAIGNS = "campaigns"  # 企业走访日: one document per campaign, its answers on it
PLANS = "plans"  # an enterprise's planned visits, on its document: the guard's compare-and-set covers them too
OUTBOX_COLLECTIONS = [ENTERPRISES, VISITS, CAMPAIGNS, TOWNSHIPS]
HIDDEN = {"_id": 0, "outbox": 0, outbox.UNSENT: 0, "request_hash": 0, "pending_visits": 0, PLANS: 0}
# The disturbance guard's state on the enterprise document: the compact log of its visits, the version every
# reservation compares and sets, and the visits reserved but not yet confirmed stored (see `add_visit`).
GUARD_LOG, GUARD_VERSION, PENDING = "visit_log", "guard_version", "pending_visits"
LAST_VISIT = "last_visit"  # the guard entry of the latest visit (by visited_on), set by every reservation
_INTERNAL = ("_id", outbox.FIELD, outbox.UNSENT, "request_hash", "version", GUARD_LOG, GUARD_VERSION, PENDING, LAST_VISIT,
             PLANS)


def key(township: str, *parts: str) -> str:
    return ":".join((township, *parts))


def source(township: str) -> str:
    """The CloudEvents source of what a township's visits service publishes."""
    return f"/townships/{township}/visits"


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document as the API shows it."""
    return {k: v for k, v in doc.items() if k not in _INTERNAL}


class AlreadyExists(Exception):
    def __init__(self, existing: Any):
        self.existing = existing  # what is stored under that id (None if it vanished meanwhile)


# --- documents ↔ aggregates ----------------------------------------------------------------------------------


def _request(s: Optional[Submission]) -> dict[str, Any]:
    return {"idempotency_key": s.key if s else None, "request_hash": s.digest if s else None}


def _submission(doc: dict[str, Any]) -> Submission:
    return Submission(doc.get("idempotency_key"), doc.get("request_hash") or "")


def _stamp(by: Optional[str], at: Optional[datetime]) -> dict[str, Any]:
    """Who made a write and when (the token's name, the service's clock)."""
    return {"recorded_by": by, "recorded_at": at.isoformat() if at else None}


def _at(doc: dict[str, Any]) -> Optional[datetime]:
    return datetime.fromisoformat(doc["recorded_at"]) if doc.get("recorded_at") else None


def _official_fields(o: Official) -> dict[str, Any]:
    return {"township": o.township, "official_id": o.official_id, "name": o.name, "rank": o.rank.value, "unit": o.unit,
            **_stamp(o.recorded_by, o.recorded_at)}


def _official(doc: dict[str, Any]) -> Official:
    return Official(doc["township"], doc["official_id"], doc["name"], Rank(doc["rank"]), doc.get("unit"), _submission(doc),
                    doc.get("recorded_by"), _at(doc))


def _iso(day: Optional[date]) -> Optional[str]:
    return day.isoformat() if day else None


def _assignment(a: dict[str, Any]) -> Assignment:
    return Assignment(a["official_id"], date.fromisoformat(a["start"]), date.fromisoformat(a["end"]) if a["end"] else None)


def _enterprise_fields(e: Enterprise) -> dict[str, Any]:
    return {
        "township": e.township,
        "enterprise_id": e.enterprise_id,
        "name": e.name,
        "category": e.category.value,
        "registered_on": e.registered_on.isoformat(),
        "park": e.park,
        "assignments": [{"official_id": a.official_id, "start": a.start.isoformat(), "end": _iso(a.end)} for a in e.assignments],
        "status": e.status.value,
        "status_on": (e.status_on or e.registered_on).isoformat(),
        **_stamp(e.recorded_by, e.recorded_at),
        "history": list(e.history),
    }


EDITABLE = ("name", "park", "assignments", "status", "status_on", "recorded_by", "recorded_at", "history")


def _past(entry: dict[str, Any]) -> PastVisit:
    return PastVisit(entry["visit_id"], date.fromisoformat(entry["visited_on"]), entry["visitors"][0]["name"])


def _guard_entry(visit: dict[str, Any]) -> dict[str, Any]:
    """A visit as the enterprise's log keeps it: id, day and lead visitor."""
    return {"visit_id": visit["visit_id"], "visited_on": visit["visited_on"], "visitors": visit["visitors"][:1]}


def _enterprise(doc: dict[str, Any], log_entries: list[dict[str, Any]]) -> Enterprise:
    return Enterprise(
        township=doc["township"],
        enterprise_id=doc["enterprise_id"],
        name=doc["name"],
        category=EnterpriseCategory(doc["category"]),
        registered_on=date.fromisoformat(doc["registered_on"]),
        park=doc.get("park"),
        assignments=[_assignment(a) for a in doc.get("assignments", [])],
        visit_log=[_past(v) for v in log_entries],
        submission=_submission(doc),
        status=EnterpriseStatus(doc.get("status", "active")),
        status_on=date.fromisoformat(doc["status_on"]) if doc.get("status_on") else None,
        history=list(doc.get("history", [])),
        recorded_by=doc.get("recorded_by"),
        recorded_at=_at(doc),
        plans=[_plan(p) for p in doc.get(PLANS, [])],
    )


def _named(o: events.Official) -> dict[str, Any]:
    return o.model_dump(mode="json")


def _plan_fields(p: Plan) -> dict[str, Any]:
    return {
        "plan_id": p.plan_id,
        "enterprise_id": p.enterprise_id,
        "planned_on": p.planned_on.isoformat(),
        "lead": _named(p.lead),
        "invited": [_named(o) for o in p.invited],
        "purpose": p.purpose,
        "campaign_id": p.campaign_id,
        "joined": [_named(o) for o in p.joined],
        "status": p.status,
        "visit_id": p.visit_id,
        "visited_on": _iso(p.visited_on),
        "visitor_ids": list(p.visitor_ids),
        "cancelled_on": _iso(p.cancelled_on),
        "reason": p.reason,
        **_stamp(p.recorded_by, p.recorded_at),
    }


def _day(value: Optional[str]) -> Optional[date]:
    return date.fromisoformat(value) if value else None


def _plan(d: dict[str, Any]) -> Plan:
    official = events.Official.model_validate
    return Plan(
        plan_id=d["plan_id"], enterprise_id=d["enterprise_id"], planned_on=date.fromisoformat(d["planned_on"]),
        lead=official(d["lead"]), invited=tuple(official(o) for o in d.get("invited", [])), purpose=d.get("purpose", ""),
        campaign_id=d.get("campaign_id"), joined=tuple(official(o) for o in d.get("joined", [])), status=d["status"],
        visit_id=d.get("visit_id"), visited_on=_day(d.get("visited_on")), visitor_ids=tuple(d.get("visitor_ids", [])),
        cancelled_on=_day(d.get("cancelled_on")), reason=d.get("reason"), recorded_by=d.get("recorded_by"),
        recorded_at=_at(d),
    )


def plan_shown(enterprise: Enterprise, plan: Plan) -> dict[str, Any]:
    """A plan as the API shows it: with its township and the enterprise's name."""
    return {"township": enterprise.township, **_plan_fields(plan), "enterprise_name": enterprise.name}


def _campaign_fields(c: Campaign) -> dict[str, Any]:
    return {
        "township": c.township,
        "campaign_id": c.campaign_id,
        "name": c.name,
        "days": [d.isoformat() for d in c.days],
        "enterprise_ids": list(c.enterprise_ids),
        "invited": [_named(o) for o in c.invited],
        "host": _named(c.host),
        "answers": {oid: {"accepted": a.accepted, "reason": a.reason} for oid, a in c.answers.items()},
        **_stamp(c.recorded_by, c.recorded_at),
        "history": list(c.history),
    }


def _campaign(doc: dict[str, Any]) -> Campaign:
    return Campaign(
        township=doc["township"], campaign_id=doc["campaign_id"], name=doc["name"],
        days=tuple(date.fromisoformat(d) for d in doc["days"]), enterprise_ids=tuple(doc["enterprise_ids"]),
        invited=tuple(events.Official.model_validate(o) for o in doc["invited"]),
        host=events.Official.model_validate(doc["host"]),
        answers={oid: Answer(a["accepted"], a.get("reason", "")) for oid, a in doc.get("answers", {}).items()},
        submission=_submission(doc), recorded_by=doc.get("recorded_by"), recorded_at=_at(doc),
        history=list(doc.get("history", [])),
    )


def _visit_fields(v: Visit) -> dict[str, Any]:
    return {
        "township": v.township,
        **v.logged().model_dump(mode="json"),
        "enterprise_name": v.enterprise_name,
        "logged_at": v.logged_at.isoformat(),
        **_stamp(v.recorded_by, v.logged_at),
    }


def _visit(doc: dict[str, Any]) -> Visit:
    return Visit(
        township=doc["township"],
        visit_id=doc["visit_id"],
        enterprise_id=doc["enterprise_id"],
        enterprise_name=doc["enterprise_name"],
        visited_on=date.fromisoformat(doc["visited_on"]),
        channel=Channel(doc["channel"]),
        kind=VisitKind(doc["kind"]),
        visitors=tuple(events.Official.model_validate(o) for o in doc["visitors"]),
        services=tuple(Service(s) for s in doc.get("services", [])),
        summary=doc.get("summary", ""),
        demands=tuple(events.Demand.model_validate(d) for d in doc.get("demands", [])),
        override_reason=doc.get("override_reason"),
        logged_at=datetime.fromisoformat(doc["logged_at"]),
        submission=_submission(doc),
        recorded_by=doc.get("recorded_by"),
        plan_id=doc.get("plan_id"),
    )


def _entries(township: str, happened: Sequence[events.Payload], at: datetime) -> list[dict[str, Any]]:
    published = [new_event(p, township=township, source=source(township), time=at) for p in happened]
    return [outbox.entry(e, VISITS_TOPIC) for e in published]


def _outbox(township: str, happened: Sequence[events.Payload], at: datetime) -> dict[str, Any]:
    return outbox.new(_entries(township, happened, at))


def shown(aggregate: Union[Official, Enterprise, Visit, Campaign]) -> dict[str, Any]:
    """An aggregate as the API shows it: its stored document without the internal fields."""
    if isinstance(aggregate, Official):
        fields = _official_fields(aggregate)
    elif isinstance(aggregate, Enterprise):
        fields = _enterprise_fields(aggregate)
    elif isinstance(aggregate, Campaign):
        fields = _campaign_fields(aggregate)
    else:
        fields = _visit_fields(aggregate)
    return {**fields, "idempotency_key": aggregate.submission.key if aggregate.submission else None}


@dataclass(frozen=True)
class Listed:
    """An enterprise as the registry lists it: what is shown, its assignments and its latest visit."""

    shown: dict[str, Any]
    assignments: list[Assignment]
    last_visit: Optional[PastVisit]


@dataclass
class _Loaded:
    doc: dict[str, Any]  # as read: its versions are what the next compare-and-set compares
    log: list[dict[str, Any]] = field(default_factory=list)  # the guard entries the aggregate's log was read from


class Repository:
    def __init__(self, db: AsyncDatabase):
        self.db = db
        self._loaded: WeakKeyDictionary[Enterprise, _Loaded] = WeakKeyDictionary()
        self._campaign_versions: WeakKeyDictionary[Campaign, int] = WeakKeyDictionary()

    async def ensure_indexes(self) -> None:
        """What MongoDB 8 needs to serve every query below from an index (README: "The store")."""
        await self.db[VISITS].create_index([("township", 1), ("visited_on", -1), ("visit_id", 1)])
        await self.db[VISITS].create_index([("township", 1), ("enterprise_id", 1), ("visited_on", -1), ("visit_id", 1)])
        await self.db[ENTERPRISES].create_index([("township", 1), ("enterprise_id", 1)])
        await self.db[ENTERPRISES].create_index([(f"{PENDING}.visit_id", 1)])
        await self.db[OFFICIALS].create_index([("township", 1), ("official_id", 1)])
        await self.db[ENTERPRISES].create_index([("township", 1), (f"{PLANS}.plan_id", 1)])
        await self.db[CAMPAIGNS].create_index([("township", 1), ("campaign_id", 1)])
        await self.db[ENTERPRISES].create_index([("assignments.official_id", 1)])  # "my enterprises", any township
        await self.db[ISSUE_STATES].create_index([("township", 1), ("enterprise_id", 1)])

    async def _insert(self, collection: str, doc: dict[str, Any]) -> Optional[dict[str, Any]]:
        """Insert by `_id`; on a duplicate, return the document already there instead (None if it vanished)."""
        try:
            await self.db[collection].insert_one(doc)
        except DuplicateKeyError:
            return await self.db[collection].find_one({"_id": doc["_id"]}) or {}
        outbox.written(collection, doc["_id"], doc.get(outbox.FIELD, []))
        return None

    # --- officials ---------------------------------------------------------------------------------------------

    async def add_official(self, official: Official) -> None:
        doc = {"_id": key(official.township, official.official_id), **_official_fields(official), **_request(official.submission)}
        if (existing := await self._insert(OFFICIALS, doc)) is not None:
            raise AlreadyExists(_official(existing) if existing else None)

    async def officials(self, township: str, ids: list[str]) -> dict[str, Official]:
        """The officials named, from the township's registry, else the county's (县级领导 registered once)."""
        wanted = [key(township, i) for i in ids] + ([key(COUNTY, i) for i in ids] if township != COUNTY else [])
        found = [_official(d) async for d in self.db[OFFICIALS].find({"_id": {"$in": wanted}}, {"_id": 0})]
        by_id = {o.official_id: o for o in found if o.township == COUNTY}
        by_id.update({o.official_id: o for o in found if o.township != COUNTY})
        return by_id

    async def put_official(self, official: Official) -> bool:
        """Register or change an official of a registry (the county's); True if it was new."""
        fields = {**_official_fields(official), **_request(official.submission)}
        result = await self.db[OFFICIALS].update_one(
            {"_id": key(official.township, official.official_id)}, {"$set": fields}, upsert=True
        )
        return result.upserted_id is not None

    async def list_officials(self, township: str) -> list[dict[str, Any]]:
        return await self.db[OFFICIALS].find({"township": township}, {"_id": 0}).sort("official_id").to_list()

    # --- enterprises -------------------------------------------------------------------------------------------

    async def add_enterprise(self, enterprise: Enterprise, happened: Sequence[events.Payload], at: datetime) -> None:
        """Insert a newly registered enterprise with the events of its registration; AlreadyExists if registered."""
        doc = {
            "_id": key(enterprise.township, enterprise.enterprise_id),
            **_enterprise_fields(enterprise),
            GUARD_LOG: [],  # a new enterprise has no visit yet
            GUARD_VERSION: 0,
            "version": 1,
            **_request(enterprise.submission),
            **_outbox(enterprise.township, happened, at),
        }
        if (existing := await self._insert(ENTERPRISES, doc)) is not None:
            raise AlreadyExists(await self.enterprise(enterprise.township, enterprise.enterprise_id) if existing else None)
        self._loaded[enterprise] = _Loaded(doc)

    async def enterprise(self, township: str, enterprise_id: str) -> Optional[Enterprise]:
        doc = await self.db[ENTERPRISES].find_one({"_id": key(township, enterprise_id)})
        if doc is None:
            return None
        entries = await self._log_of(doc)
        enterprise = _enterprise(doc, entries)
        self._loaded[enterprise] = _Loaded(doc, entries)
        return enterprise

    async def _log_of(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """The enterprise's visit log, kept on its document (one lookup by `_id`, however many visits the township
        has); for one registered before the log, its visits."""
        if GUARD_LOG in doc:
            return list(doc[GUARD_LOG])
        return [_guard_entry(v) for v in await self.visits(doc["township"], doc["enterprise_id"])]

    def _read(self, enterprise: Enterprise) -> _Loaded:
        try:
            return self._loaded[enterprise]
        except KeyError:
            raise ValueError(f"enterprise {enterprise.enterprise_id} was not loaded by this repository") from None

    async def save_assignments(self, enterprise: Enterprise) -> bool:
        """Compare-and-set on the version read with the enterprise: a concurrent change makes this return False."""
        return await self.save_changes(enterprise, (), None)

    async def save_changes(self, enterprise: Enterprise, happened: Sequence[events.Payload], at: Optional[datetime]) -> bool:
        """The enterprise's edits (assignments, name, park, status, its history and who wrote last) with the events
        they cause, in one compare-and-set on the version read with it: a concurrent change makes this return False."""
        loaded = self._read(enterprise)
        fields = {k: v for k, v in _enterprise_fields(enterprise).items() if k in EDITABLE}
        version = loaded.doc.get("version")
        update: dict[str, Any] = {"$set": fields, "$inc": {"version": 1}}
        entries = _outbox(enterprise.township, happened, at)[outbox.FIELD] if happened else []
        if entries:
            update["$push"] = outbox.push(entries)
        result = await self.db[ENTERPRISES].update_one({"_id": loaded.doc["_id"], "version": version}, update)
        if result.modified_count != 1:
            return False
        if entries:
            outbox.written(ENTERPRISES, loaded.doc["_id"], entries)
        loaded.doc = {**loaded.doc, **fields, "version": (version or 0) + 1}
        return True

    # --- the visit log: reserve, then store ------------------------------------------------------------------

    async def add_visit(self, enterprise: Enterprise, visit: Visit, happened: Sequence[events.Payload]) -> bool:
        """Save a visit the enterprise took into its log, with the events of it. False if another visit was logged to
        the enterprise since it was loaded (load again and decide again).

        The reservation is the commit: one compare-and-set on the guard version adds the visit's guard entry to the
        log and keeps the whole visit document as pending. The visit document (with its outbox) is then inserted
        under its own `_id` by this call, or, if this process dies in between, by a retry with the same key
        (`finish_logged`), by the next visit logged to the enterprise or the recovery pass (`finish_interrupted`).
        Inserting twice is a no-op, so a reservation never blocks without its visit being stored."""
        loaded = self._read(enterprise)
        doc = {
            "_id": key(visit.township, visit.visit_id),
            **_visit_fields(visit),
            **_request(visit.submission),
            **_outbox(visit.township, happened, visit.logged_at),
        }
        plans = [_plan_fields(p) for p in enterprise.plans] if visit.plan_id else None  # its plan is done with it
        if not await self._reserve(loaded, _guard_entry(doc), doc, plans):
            return False
        try:
            await self.store_reserved(visit.township, visit.enterprise_id, doc)
        except PyMongoError as exc:  # accepted all the same: the reservation is kept until it is stored
            log.warning("visit %s reserved but not stored yet (a retry or the recovery pass will): %s", visit.visit_id, exc)
        return True

    async def _reserve(
        self, loaded: _Loaded, entry: dict[str, Any], visit: dict[str, Any], plans: Optional[list[dict[str, Any]]] = None
    ) -> bool:
        enterprise = loaded.doc
        # The latest visit rides along, so the registry lists it without reading any visit (flat in history).
        latest = max(filter(None, [enterprise.get(LAST_VISIT), entry]), key=lambda v: (v["visited_on"], v["visit_id"]))
        update: dict[str, Any] = {"$push": {PENDING: visit}, "$inc": {GUARD_VERSION: 1}, "$set": {LAST_VISIT: latest}}
        if GUARD_LOG in enterprise:
            update["$push"][GUARD_LOG] = entry
        else:  # registered before the log: the log read from its visits is written whole
            latest = max([*loaded.log, entry], key=lambda v: (v["visited_on"], v["visit_id"]))
            update["$set"] = {GUARD_LOG: [*loaded.log, entry], LAST_VISIT: latest}
        if plans is not None:
            update["$set"][PLANS] = plans
        version = enterprise.get(GUARD_VERSION)
        result = await self.db[ENTERPRISES].update_one(
            {"_id": enterprise["_id"], GUARD_VERSION: version},  # None matches a missing field
            update,
        )
        if result.modified_count != 1:
            return False
        loaded.doc = {**enterprise, GUARD_VERSION: (version or 0) + 1, GUARD_LOG: [*loaded.log, entry], LAST_VISIT: latest,
                      PENDING: [*enterprise.get(PENDING, []), visit]}
        if plans is not None:
            loaded.doc[PLANS] = plans
        loaded.log = loaded.doc[GUARD_LOG]
        return True

    async def store_reserved(self, township: str, enterprise_id: str, visit: dict[str, Any]) -> bool:
        """Insert a reserved visit (whoever gets there first: the request, its retry, the recovery pass), then drop
        it from the enterprise's pending ones. True if this call inserted it."""
        try:
            await self.db[VISITS].insert_one(visit)
            inserted = True
        except DuplicateKeyError:
            inserted = False
        if inserted:
            outbox.written(VISITS, visit["_id"], visit.get(outbox.FIELD, []))
        await self.db[ENTERPRISES].update_one(
            {"_id": key(township, enterprise_id)}, {"$pull": {PENDING: {"visit_id": visit["visit_id"]}}}
        )
        return inserted

    async def finish_logged(self, enterprise: Enterprise, visit_id: str) -> Optional[Visit]:
        """The visit `visit_id` of the enterprise's log: stored, or reserved (and stored now, as its own request
        died or runs beside us). None if it is neither."""
        pending = {p["visit_id"]: p for p in self._read(enterprise).doc.get(PENDING, [])}
        if visit_id in pending:
            await self.store_reserved(enterprise.township, enterprise.enterprise_id, pending[visit_id])
            return _visit(pending[visit_id])
        return await self.visit(enterprise.township, visit_id)

    async def finish_interrupted(self, before: datetime, enterprise: Optional[Enterprise] = None) -> int:
        """Store the visits reserved before `before` by a process that died before storing them: the enterprise's
        as it was loaded, or without one every enterprise's. Returns how many this call stored. Safe on every replica
        at once: storing is an insert by `_id`."""
        docs = [self._read(enterprise).doc] if enterprise is not None else await self._with_pending_visits()
        stored = 0
        for doc in docs:
            for p in doc.get(PENDING, []):
                if datetime.fromisoformat(p["logged_at"]) < before:
                    stored += await self.store_reserved(doc["township"], doc["enterprise_id"], p)
        return stored

    async def _with_pending_visits(self) -> list[dict[str, Any]]:
        """Enterprises holding reserved visits not confirmed stored (a process died in between): rare, so few."""
        found = self.db[ENTERPRISES].find({f"{PENDING}.visit_id": {"$gt": ""}}, {"township": 1, "enterprise_id": 1, PENDING: 1})
        return await found.to_list()

    async def visit(self, township: str, visit_id: str) -> Optional[Visit]:
        doc = await self.db[VISITS].find_one({"_id": key(township, visit_id)})
        return _visit(doc) if doc else None

    # --- planned visits, on the enterprise -------------------------------------------------------------------

    async def save_plans(self, enterprise: Enterprise, happened: Sequence[events.Payload], at: datetime) -> bool:
        """Save the enterprise's plans with the events of the change, compare-and-set on the guard version (the
        one a visit's reservation sets), so a plan and a visit, or two plans, are judged one after the other.
        False if the enterprise's visits or plans changed since it was loaded."""
        loaded = self._read(enterprise)
        plans = [_plan_fields(p) for p in enterprise.plans]
        entries = _entries(enterprise.township, happened, at)
        stamp = {k: v for k, v in _enterprise_fields(enterprise).items() if k in ("recorded_by", "recorded_at", "history")}
        update: dict[str, Any] = {"$set": {PLANS: plans, **stamp}, "$inc": {GUARD_VERSION: 1}}
        if entries:
            update["$push"] = outbox.push(entries)
        version = loaded.doc.get(GUARD_VERSION)
        result = await self.db[ENTERPRISES].update_one({"_id": loaded.doc["_id"], GUARD_VERSION: version}, update)
        if result.modified_count != 1:
            return False
        outbox.written(ENTERPRISES, loaded.doc["_id"], entries)
        loaded.doc = {**loaded.doc, PLANS: plans, **stamp, GUARD_VERSION: (version or 0) + 1}
        return True

    async def enterprise_of_plan(self, township: str, plan_id: str) -> Optional[str]:
        doc = await self.db[ENTERPRISES].find_one({"township": township, f"{PLANS}.plan_id": plan_id}, {"enterprise_id": 1})
        return doc["enterprise_id"] if doc else None

    async def plans(self, township: str) -> list[tuple[Enterprise, Plan]]:
        """Every plan of the township with its enterprise (read only): a township has tens of enterprises."""
        docs = await self.db[ENTERPRISES].find({"township": township}, {"outbox": 0, PENDING: 0, GUARD_LOG: 0}).to_list()
        return [(e, p) for e in (_enterprise(d, []) for d in docs) for p in e.plans]

    # --- 企业走访日 campaigns ------------------------------------------------------------------------------------

    async def add_campaign(self, campaign: Campaign, happened: Sequence[events.Payload], at: datetime) -> None:
        doc = {
            "_id": key(campaign.township, campaign.campaign_id),
            **_campaign_fields(campaign),
            "version": 1,
            **_request(campaign.submission),
            **_outbox(campaign.township, happened, at),
        }
        if (existing := await self._insert(CAMPAIGNS, doc)) is not None:
            raise AlreadyExists(_campaign(existing) if existing else None)
        self._campaign_versions[campaign] = 1

    async def campaign(self, township: str, campaign_id: str) -> Optional[Campaign]:
        doc = await self.db[CAMPAIGNS].find_one({"_id": key(township, campaign_id)})
        if doc is None:
            return None
        campaign = _campaign(doc)
        self._campaign_versions[campaign] = doc.get("version", 1)
        return campaign

    async def save_campaign(self, campaign: Campaign, happened: Sequence[events.Payload], at: datetime) -> bool:
        """Compare-and-set on the version the campaign was loaded with; False if it changed since."""
        version = self._campaign_versions[campaign]
        entries = _entries(campaign.township, happened, at)
        fields = _campaign_fields(campaign)
        changed = {k: fields[k] for k in ("answers", "recorded_by", "recorded_at", "history")}
        update: dict[str, Any] = {"$set": changed, "$inc": {"version": 1}}
        if entries:
            update["$push"] = outbox.push(entries)
        doc_id = key(campaign.township, campaign.campaign_id)
        result = await self.db[CAMPAIGNS].update_one({"_id": doc_id, "version": version}, update)
        if result.modified_count != 1:
            return False
        outbox.written(CAMPAIGNS, doc_id, entries)
        self._campaign_versions[campaign] = version + 1
        return True

    async def campaigns(self, township: str) -> list[Campaign]:
        docs = await self.db[CAMPAIGNS].find({"township": township}, {"outbox": 0}).sort("campaign_id").to_list()
        return [_campaign(d) for d in docs]

    # --- reads for the list endpoints ------------------------------------------------------------------------

    async def listed(self, township: str) -> list[Listed]:
        """A township's enterprises with their latest visit, kept on each document: no visit and no log is read."""
        docs = await self.db[ENTERPRISES].find({"township": township}, {**HIDDEN, GUARD_LOG: 0}).sort("enterprise_id").to_list()
        return [
            Listed(public(d), [_assignment(a) for a in d.get("assignments", [])], _past(d[LAST_VISIT]) if d.get(LAST_VISIT) else None)
            for d in docs
        ]

    async def assigned_to(self, official_id: str, township: Optional[str] = None) -> list[Listed]:
        """The enterprises, of every township or of one, that the official was ever assigned to (the caller picks
        the days); no visit and no log is read."""
        query: dict[str, Any] = {"assignments.official_id": official_id}
        if township is not None:
            query["township"] = township
        docs = await self.db[ENTERPRISES].find(query, {**HIDDEN, GUARD_LOG: 0}).sort([("township", 1), ("enterprise_id", 1)]).to_list()
        return [
            Listed(public(d), [_assignment(a) for a in d.get("assignments", [])], _past(d[LAST_VISIT]) if d.get(LAST_VISIT) else None)
            for d in docs
        ]

    async def issue_states(self, township: str, enterprise_ids: list[str]) -> list[dict[str, Any]]:
        """What is known of the issues of these enterprises of a township (see open_issues.py)."""
        found = self.db[ISSUE_STATES].find({"township": township, "enterprise_id": {"$in": enterprise_ids}}, {"_id": 0})
        return await found.to_list()

    async def with_logs(self, township: str) -> list[Enterprise]:
        """A township's enterprises with their visit logs (which grow with every visit), for reading only."""
        docs = await self.db[ENTERPRISES].find({"township": township}, HIDDEN).sort("enterprise_id").to_list()
        return [_enterprise(d, await self._log_of(d)) for d in docs]

    async def visits(
        self, township: str, enterprise_id: Optional[str] = None, start: Optional[str] = None, end: Optional[str] = None
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"township": township}
        if enterprise_id:
            query["enterprise_id"] = enterprise_id
        if start or end:
            query["visited_on"] = {k: v for k, v in (("$gte", start), ("$lte", end)) if v}
        return await self.db[VISITS].find(query, HIDDEN).sort([("visited_on", DESCENDING), ("visit_id", 1)]).to_list()

    async def visit_shown(self, township: str, visit_id: str) -> Optional[dict[str, Any]]:
        return await self.db[VISITS].find_one({"_id": key(township, visit_id)}, HIDDEN)

    # --- township settings and the registry ------------------------------------------------------------------

    async def contact_warning(self, enterprise_id: str, planned_on: date, plan_id: str) -> Optional[dict[str, Any]]:
        """The contact budget's warning for a plan (visits/contacts.py), from the contacts this service projects."""
        return await contacts.plan_warning(self.db, SETTINGS, enterprise_id, planned_on, plan_id)

    async def quiet_days(self, township: str) -> int:
        doc = await self.db[SETTINGS].find_one({"_id": township})
        return doc["quiet_period_days"] if doc else DEFAULT_QUIET_DAYS

    async def settings(self, township: str) -> dict[str, Any]:
        """The township's settings as shown: the quiet period, who set it last and when, and the history."""
        doc = await self.db[SETTINGS].find_one({"_id": township}) or {}
        return {"quiet_period_days": doc.get("quiet_period_days", DEFAULT_QUIET_DAYS), "recorded_by": doc.get("recorded_by"),
                "recorded_at": doc.get("recorded_at"), "history": doc.get("history", [])}

    async def set_quiet_days(self, township: str, days: int, by: Optional[str] = None, at: Optional[datetime] = None) -> None:
        stamp = _stamp(by, at)
        await self.db[SETTINGS].update_one(
            {"_id": township},
            {"$set": {"quiet_period_days": days, **stamp}, "$push": {"history": {"quiet_period_days": days, **stamp}}},
            upsert=True,
        )

    async def seed_townships(self, at: datetime) -> None:
        """The registry's first townships, each only where absent: an edited name is never put back, and replicas
        starting together insert each once (the loser of a concurrent upsert gets a duplicate key: it exists). The
        one that inserts it publishes its TownshipRegistered (in the same write: the outbox rides on the document)."""
        for township, name in SEED_TOWNSHIPS.items():
            entries = _township_entries(township, name, SEED_COUNTY, at)
            doc = {"township": township, "name": name, "county": SEED_COUNTY, **outbox.new(entries)}
            try:
                done = await self.db[TOWNSHIPS].update_one({"_id": township}, {"$setOnInsert": doc}, upsert=True)
            except DuplicateKeyError:
                continue
            if done.upserted_id is not None:
                outbox.written(TOWNSHIPS, township, entries)

    async def townships(self) -> list[dict[str, Any]]:
        return [_registry_entry(d) for d in await self.db[TOWNSHIPS].find({}).sort("_id").to_list()]

    async def township(self, township: str) -> Optional[dict[str, Any]]:
        doc = await self.db[TOWNSHIPS].find_one({"_id": township})
        return _registry_entry(doc) if doc else None

    async def put_township(self, township: str, name: str, county: str, by: Optional[str], at: datetime) -> dict[str, Any]:
        """Add or rename a township and publish its TownshipRegistered, in one write."""
        shown = {"township": township, "name": name, "county": county, **_stamp(by, at)}
        entries = _township_entries(township, name, county, at)
        update = {"$set": shown, "$push": outbox.push(entries)}
        try:
            await self.db[TOWNSHIPS].update_one({"_id": township}, update, upsert=True)
        except DuplicateKeyError:  # a concurrent upsert inserted it first: now it exists, so this one updates
            await self.db[TOWNSHIPS].update_one({"_id": township}, update)
        outbox.written(TOWNSHIPS, township, entries)
        return shown


def _township_entries(township: str, name: str, county: str, at: datetime) -> list[dict[str, Any]]:
    return _entries(township, [events.TownshipRegistered(township_id=township, name=name, county=county)], at)


def _registry_entry(doc: dict[str, Any]) -> dict[str, Any]:
    return {"township": doc["_id"], "name": doc.get("name"), "county": doc.get("county"), **_stamp(doc.get("recorded_by"), _at(doc))}
