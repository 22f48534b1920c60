"""Use cases of the visits service: thin, over the repository and the pure domain; each write that
publishes embeds its event in the same document write (outbox)."""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, Optional

from pymongo.errors import PyMongoError

from buildingblocks import outbox
from buildingblocks.outbox import entry as outbox_entry
from contracts.envelope import CHINA, new_event
from contracts.events import EnterpriseRegistered, Official, VisitLogged
from contracts.topics import VISITS as VISITS_TOPIC
from visits import repository as r
from visits.domain import Assignment, PastVisit, assigned_on, disturbance_guard, today
from buildingblocks.errors import Conflict, Invalid, NotFound
from visits.importing import ImportFileError, RowError, read_enterprises
from visits.requests import AssignmentIn, EnterpriseIn, OfficialIn, VisitIn


log = logging.getLogger("visits")


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


GUARD_LOG = r.GUARD_LOG
_INTERNAL = ("_id", "outbox", outbox.UNSENT, "request_hash", "version", r.GUARD_LOG, r.GUARD_VERSION, r.PENDING, r.LAST_VISIT)
RESERVE_ATTEMPTS = 50  # each round of conflicting reservations lets one through: enough for 50 at once
RECOVER_AFTER_S = 30.0  # a reserved visit still pending after this is stored by whoever sees it


def view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in _INTERNAL}


def source(township: str) -> str:
    return f"/townships/{township}/visits"


async def _created_once(repo: r.Repository, collection: str, doc: dict[str, Any], what: str) -> dict[str, Any]:
    """Insert; a retry carrying the same Idempotency-Key and body gets the first result back."""
    try:
        await repo.insert(collection, doc)
        return view(doc)
    except r.AlreadyExists as exists:
        first = exists.existing or {}
        if doc.get("idempotency_key") and first.get("idempotency_key") == doc["idempotency_key"]:
            if first.get("request_hash") != doc["request_hash"]:
                raise Conflict("this Idempotency-Key was already used for a different request") from None
            return view(first)
        raise Conflict(f"{what} already exists", existing=view(first)) from None


async def _known_officials(repo: r.Repository, township: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    found = await repo.officials(township, ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound("official", missing)
    return found


def _official(doc: dict[str, Any]) -> Official:
    return Official(official_id=doc["official_id"], name=doc["name"], rank=doc["rank"])


async def register_official(repo: r.Repository, township: str, body: OfficialIn, idem: Optional[str]) -> dict:
    doc = {
        "_id": r.key(township, body.official_id),
        "township": township,
        **body.model_dump(mode="json"),
        "idempotency_key": idem,
        "request_hash": request_hash(body),
    }
    return await _created_once(repo, r.OFFICIALS, doc, f"official {body.official_id}")


async def register_enterprise(repo: r.Repository, township: str, body: EnterpriseIn, idem: Optional[str]) -> dict:
    officials = await _known_officials(repo, township, body.assigned_official_ids)
    registered_on = body.registered_on or today()
    payload = EnterpriseRegistered(
        enterprise_id=body.enterprise_id,
        name=body.name,
        category=body.category,
        registered_on=registered_on,
        park=body.park,
        assigned_officials=[_official(officials[i]) for i in body.assigned_official_ids],
    )
    event = new_event(payload, township=township, source=source(township))
    doc = {
        "_id": r.key(township, body.enterprise_id),
        "township": township,
        "enterprise_id": body.enterprise_id,
        "name": body.name,
        "category": body.category.value,
        "registered_on": registered_on.isoformat(),
        "park": body.park,
        "assignments": [{"official_id": i, "start": registered_on.isoformat(), "end": None} for i in body.assigned_official_ids],
        GUARD_LOG: [],
        r.GUARD_VERSION: 0,
        "version": 1,
        "idempotency_key": idem,
        "request_hash": request_hash(body),
        **outbox.new([outbox_entry(event, VISITS_TOPIC)]),
    }
    return await _created_once(repo, r.ENTERPRISES, doc, f"enterprise {body.enterprise_id}")


async def past_visits(repo: r.Repository, township: str, enterprise: dict[str, Any]) -> list[dict[str, Any]]:
    """The guard entries of the enterprise's visits: its log, kept on the enterprise document the guard reads anyway
    (one lookup by `_id`, however many visits the township has); for one registered before the log, its visits."""
    if GUARD_LOG in enterprise:
        return list(enterprise[GUARD_LOG])
    return [_guard_entry(v) for v in await repo.visits(township, enterprise["enterprise_id"])]


def _guard_entry(visit: dict[str, Any]) -> dict[str, Any]:
    return {"visit_id": visit["visit_id"], "visited_on": visit["visited_on"], "visitors": visit["visitors"][:1]}


def _same_request(first: dict[str, Any], body_hash: str) -> dict:
    if first.get("request_hash") != body_hash:
        raise Conflict("this Idempotency-Key was already used for a different request")
    return view(first)


def _stale(pending: dict[str, Any], now: datetime) -> bool:
    return datetime.fromisoformat(pending["logged_at"]) < now - timedelta(seconds=RECOVER_AFTER_S)


async def log_visit(repo: r.Repository, township: str, body: VisitIn, idem: Optional[str]) -> dict:
    """The disturbance guard as a conditional write, right with any number of replicas.

    Decide on the enterprise's visit log, then reserve: one compare-and-set on the enterprise's guard version adds
    the visit's guard entry to the log and keeps the whole visit document as pending. A concurrent reservation makes
    it fail: read again and decide again (so of two conflicting routine visits exactly one is accepted; the other
    gets the 409 naming it). The reservation is the commit: the visit document (with its outbox) is then inserted
    under its own `_id` by this request, or, if this process dies in between, by a retry with the same
    Idempotency-Key, by the next visit logged to the enterprise, or by the recovery pass (`recover_reserved`).
    Inserting twice is a no-op, so a reservation never blocks without its visit being stored.
    """
    visit_id = f"v-{uuid.uuid5(uuid.NAMESPACE_URL, f'{township}/{idem}') if idem else uuid.uuid4()}"
    body_hash = request_hash(body)
    if idem and (first := await repo.visit(township, visit_id)):  # a retry gets its first result, never the guard
        return _same_request(first, body_hash)
    enterprise = await repo.enterprise(township, body.enterprise_id)
    if enterprise is None:
        raise NotFound("enterprise", [body.enterprise_id])
    officials = await _known_officials(repo, township, body.visitor_ids)
    quiet = await repo.quiet_days(township)
    doc: Optional[dict[str, Any]] = None
    for attempt in range(RESERVE_ATTEMPTS):
        if attempt:
            await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))  # spread the next round a little
            enterprise = await repo.enterprise(township, body.enterprise_id)
            if enterprise is None:
                raise NotFound("enterprise", [body.enterprise_id])
        pending = {p["visit_id"]: p for p in enterprise.get(r.PENDING, [])}
        if visit_id in pending:  # this key's request reserved it (and died, or runs beside us): finish it
            mine = pending[visit_id]
            _same_request(mine, body_hash)
            await repo.store_reserved(township, body.enterprise_id, mine)
            return view(mine)
        if visit_id in {v["visit_id"] for v in enterprise.get(GUARD_LOG, [])}:
            if first := await repo.visit(township, visit_id):  # reserved and stored by a request beside us
                return _same_request(first, body_hash)
        now = datetime.now(CHINA)
        for p in pending.values():  # reserved by a process that died before storing them
            if _stale(p, now):
                await repo.store_reserved(township, body.enterprise_id, p)
        log_entries = await past_visits(repo, township, enterprise)
        decision = disturbance_guard(
            [_past(v) for v in log_entries],
            body.visited_on,
            quiet,
            joint=body.kind.value == "joint",
            override_reason=body.override_reason,
        )
        if decision.refused:
            last = decision.nearest
            raise Conflict(
                decision.reason,
                last_visit={"visit_id": last.visit_id, "visited_on": last.visited_on.isoformat(), "by": last.lead},
                routine_visit_allowed_from=decision.quiet_until.isoformat(),
            )
        if doc is None:
            doc = _visit_document(township, visit_id, body, officials, enterprise, idem, body_hash)
        if await repo.reserve_visit(enterprise, log_entries, _guard_entry(doc), doc):
            try:
                await repo.store_reserved(township, body.enterprise_id, doc)
            except PyMongoError as exc:  # accepted all the same: the reservation is kept until it is stored
                log.warning("visit %s reserved but not stored yet (a retry or the recovery pass will): %s", visit_id, exc)
            return view(doc)
    raise Conflict("the enterprise is being changed by someone else; try again")


def _visit_document(township: str, visit_id: str, body: VisitIn, officials: dict[str, dict[str, Any]],
                    enterprise: dict[str, Any], idem: Optional[str], body_hash: str) -> dict[str, Any]:
    payload = VisitLogged(
        visit_id=visit_id,
        enterprise_id=body.enterprise_id,
        visited_on=body.visited_on,
        channel=body.channel,
        kind=body.kind,
        visitors=[_official(officials[i]) for i in body.visitor_ids],
        services=body.services,
        summary=body.summary,
        demands=[{**d.model_dump(mode="json"), "demand_id": f"{visit_id}-d{n}"} for n, d in enumerate(body.demands, 1)],
        override_reason=body.override_reason,
    )
    event = new_event(payload, township=township, source=source(township))
    return {
        "_id": r.key(township, visit_id),
        "township": township,
        **payload.model_dump(mode="json"),
        "enterprise_name": enterprise["name"],
        "logged_at": datetime.now(CHINA).isoformat(),
        "idempotency_key": idem,
        "request_hash": body_hash,
        **outbox.new([outbox_entry(event, VISITS_TOPIC)]),
    }


async def recover_reserved(repo: r.Repository, older_than_s: float = RECOVER_AFTER_S) -> int:
    """Store the visits reserved by a process that died before storing them; returns how many this call stored.
    Safe on every replica at once: storing is an insert by `_id`."""
    stored = 0
    cutoff = datetime.now(CHINA) - timedelta(seconds=older_than_s)
    for enterprise in await repo.with_pending_visits():
        for p in enterprise.get(r.PENDING, []):
            if datetime.fromisoformat(p["logged_at"]) < cutoff:
                stored += await repo.store_reserved(enterprise["township"], enterprise["enterprise_id"], p)
    return stored


def _assignments(doc: dict[str, Any]) -> list[Assignment]:
    return [
        Assignment(a["official_id"], date.fromisoformat(a["start"]), date.fromisoformat(a["end"]) if a["end"] else None)
        for a in doc.get("assignments", [])
    ]


async def _change_assignments(repo: r.Repository, township: str, enterprise_id: str, change) -> dict:
    for _ in range(5):  # compare-and-set on the enterprise's version; retry on a concurrent change
        doc = await repo.enterprise(township, enterprise_id)
        if doc is None:
            raise NotFound("enterprise", [enterprise_id])
        new = change(doc.get("assignments", []))
        if await repo.replace_assignments(township, enterprise_id, doc["version"], new):
            return enterprise_view({**doc, "assignments": new}, today())
    raise Conflict("the enterprise is being changed by someone else; try again")


async def assign(repo: r.Repository, township: str, enterprise_id: str, body: AssignmentIn) -> dict:
    await _known_officials(repo, township, [body.official_id])
    start = body.start or today()
    new = Assignment(body.official_id, start, body.end)

    def change(current: list[dict]) -> list[dict]:
        for a in _assignments({"assignments": current}):
            overlaps = a.official_id == new.official_id and (a.end is None or a.end >= new.start) and (
                new.end is None or new.end >= a.start
            )
            if overlaps:
                raise Conflict(f"{new.official_id} is already assigned to this enterprise from {a.start.isoformat()}")
        item = {"official_id": new.official_id, "start": start.isoformat(), "end": new.end.isoformat() if new.end else None}
        return [*current, item]

    return await _change_assignments(repo, township, enterprise_id, change)


async def end_assignment(repo: r.Repository, township: str, enterprise_id: str, official_id: str, end: date) -> dict:
    def change(current: list[dict]) -> list[dict]:
        open_ones = [a for a in current if a["official_id"] == official_id and a["end"] is None]
        if not open_ones:
            raise NotFound("current assignment of official", [official_id])
        if end.isoformat() < open_ones[0]["start"]:
            raise Invalid("end", f"the assignment started on {open_ones[0]['start']}")
        return [{**a, "end": end.isoformat()} if a is open_ones[0] else a for a in current]

    return await _change_assignments(repo, township, enterprise_id, change)


def enterprise_view(doc: dict[str, Any], on: date) -> dict:
    """The enterprise with the officials assigned (包抓) on `on`; the full history stays in `assignments`."""
    return {**view(doc), "assigned_official_ids": assigned_on(_assignments(doc), on)}


def _past(v: dict[str, Any]) -> PastVisit:
    return PastVisit(v["visit_id"], date.fromisoformat(v["visited_on"]), v["visitors"][0]["name"])


async def enterprises(repo: r.Repository, township: str, on: date) -> list[dict]:
    """The registry with each enterprise's latest visit, kept on its document: no visit is read."""
    out = []
    for e in await repo.enterprises(township):
        last = _past(e[r.LAST_VISIT]) if e.get(r.LAST_VISIT) else None
        out.append({
            **enterprise_view(e, on),
            "last_visited_on": last.visited_on.isoformat() if last else None,
            "last_visited_by": last.lead if last else None,
        })
    return out


async def visit_guard(repo: r.Repository, township: str, on: date) -> list[dict]:
    """For each enterprise: when it was last visited, by whom, and whether a routine visit on `on` is refused."""
    quiet = await repo.quiet_days(township)
    out = []
    for e in await repo.enterprises(township, with_log=True):
        past = [_past(v) for v in await past_visits(repo, township, e)]
        decision = disturbance_guard(past, on, quiet)
        last = max(past, key=lambda p: p.visited_on) if past else None
        out.append({
            "enterprise_id": e["enterprise_id"],
            "name": e["name"],
            "last_visited_on": last.visited_on.isoformat() if last else None,
            "last_visited_by": last.lead if last else None,
            "routine_visit_refused": decision.refused,
            "routine_visit_allowed_from": decision.quiet_until.isoformat() if decision.refused else on.isoformat(),
        })
    return out


async def import_enterprises(
    repo: r.Repository, township: str, filename: str, content: bytes, good_rows_only: bool
) -> tuple[bool, dict]:
    """Register the enterprises of a platform export. With any bad row nothing is imported, unless
    `good_rows_only`; enterprises already registered are left as they are, so a re-import changes nothing."""
    try:
        result = read_enterprises(filename, content)
    except ImportFileError as exc:
        raise Invalid("file", str(exc)) from None
    errors = list(result.errors)
    # Platform exports name the 包抓 leaders (张三、李四) as often as they give ids: accept either.
    officials = await repo.list_officials(township)
    names = [o["name"] for o in officials]
    resolve = {o["official_id"]: o["official_id"] for o in officials}
    resolve.update({o["name"]: o["official_id"] for o in officials if names.count(o["name"]) == 1})
    good = []
    for row in result.rows:
        unknown = [i for i in row.assigned_official_ids if i not in resolve]
        if unknown:
            errors.append(RowError(row.row, "包抓领导 (assigned_official_ids)", f"unknown official: {', '.join(unknown)}"))
        else:
            good.append(replace(row, assigned_official_ids=tuple(dict.fromkeys(resolve[i] for i in row.assigned_official_ids))))
    report = {
        "rows": len(result.rows) + len({e.row for e in result.errors}),
        "errors": [e.__dict__ for e in sorted(errors, key=lambda e: e.row)],
        "imported": [],
        "already_registered": [],
    }
    if errors and not good_rows_only:
        return False, report
    for row in good:
        body = EnterpriseIn(
            enterprise_id=row.enterprise_id,
            name=row.name,
            category=row.category,
            registered_on=row.registered_on,
            park=row.park,
            assigned_official_ids=list(row.assigned_official_ids),
        )
        try:
            await register_enterprise(repo, township, body, None)
            report["imported"].append(row.enterprise_id)
        except Conflict:
            report["already_registered"].append(row.enterprise_id)
    return True, report
