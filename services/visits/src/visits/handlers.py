"""Use cases of the visits service: load the aggregates, call them, save them. The rules are the domain's, the
documents the repository's; what is left here is the order of things, the retries and the status of each refusal."""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Iterator, Optional

from buildingblocks import clock as clocks
from buildingblocks.clock import Clock
from buildingblocks.errors import Conflict, Invalid, NotFound
from visits import domain
from visits import repository as r
from visits.domain import Campaign, Enterprise, Official, Plan, Submission, Visit
from visits.importing import ImportFileError, RowError, read_enterprises
from visits import open_issues
from visits.domain import COUNTY
from visits.requests import AnswerIn, AssignmentIn, CampaignIn, CountyOfficialIn, EnterpriseChange, EnterpriseIn, OfficialIn, PlanIn, VisitIn

RESERVE_ATTEMPTS = 50  # each round of conflicting reservations lets one through: enough for 50 at once
CHANGE_ATTEMPTS = 5  # of an enterprise's assignments
RECOVER_AFTER_S = 30.0  # a reserved visit still pending after this is stored by whoever sees it


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def _submission(body: Any, idem: Optional[str]) -> Submission:
    return Submission(idem, request_hash(body))


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """The domain's refusals as the service's: 404, 409 or 422."""
    try:
        yield
    except domain.UnknownOfficials as exc:
        raise NotFound("official", exc.ids) from None
    except domain.NoCurrentAssignment as exc:
        raise NotFound("current assignment of official", [exc.official_id]) from None
    except domain.BadValue as exc:
        raise Invalid(exc.field, exc.message) from None
    except domain.JoinPlanned as exc:
        raise Conflict(str(exc), join=exc.plan.offer()) from None
    except domain.UnknownPlan as exc:
        raise NotFound("plan", [exc.plan_id]) from None
    except domain.PlanClosed as exc:
        raise Conflict(str(exc), plan={"plan_id": exc.plan.plan_id, "status": exc.plan.status}) from None
    except domain.TooSoon as exc:
        last = exc.decision.nearest
        raise Conflict(
            str(exc),
            last_visit={"visit_id": last.visit_id, "visited_on": last.visited_on.isoformat(), "by": last.lead},
            routine_visit_allowed_from=exc.decision.quiet_until.isoformat(),
        ) from None
    except (domain.AssignmentOverlaps, domain.KeyReused) as exc:
        raise Conflict(str(exc)) from None


def _first_result(first: Any, submission: Submission) -> Optional[dict]:
    """The first result, if this request is a retry of the one that made `first`."""
    with _refusals():
        return r.shown(first) if first is not None and first.submission and first.submission.retried_by(submission) else None


async def _known(repo: r.Repository, township: str, ids: list[str]) -> list[Official]:
    with _refusals():
        return domain.known(ids, await repo.officials(township, ids))


async def _loaded(repo: r.Repository, township: str, enterprise_id: str) -> Enterprise:
    enterprise = await repo.enterprise(township, enterprise_id)
    if enterprise is None:
        raise NotFound("enterprise", [enterprise_id])
    return enterprise


# --- officials and enterprises -------------------------------------------------------------------------------


async def register_official(
    repo: r.Repository, township: str, body: OfficialIn, idem: Optional[str], *, clock: Clock = clocks.clock,
    by: Optional[str] = None,
) -> dict:
    official = Official(township, body.official_id, body.name, body.rank, body.unit, _submission(body, idem), by, clock.now())
    try:
        await repo.add_official(official)
    except r.AlreadyExists as exists:
        return _already(exists, official.submission, f"official {body.official_id}")
    return r.shown(official)


async def put_county_official(
    repo: r.Repository, official_id: str, body: CountyOfficialIn, *, clock: Clock = clocks.clock, by: Optional[str] = None,
) -> tuple[bool, dict]:
    """Register a county-level official (县级领导) once, for every township, or change its name, rank or unit;
    (True if new, the official)."""
    official = Official(COUNTY, official_id, body.name, body.rank, body.unit, _submission(body, None), by, clock.now())
    return await repo.put_official(official), r.shown(official)


def _already(exists: r.AlreadyExists, submission: Submission, what: str) -> dict:
    """A retry carrying the same Idempotency-Key and body gets the first result back; anything else is a conflict."""
    if (first := _first_result(exists.existing, submission)) is not None:
        return first
    raise Conflict(f"{what} already exists", existing=r.shown(exists.existing) if exists.existing else {})


async def register_enterprise(
    repo: r.Repository, township: str, body: EnterpriseIn, idem: Optional[str], *, clock: Clock = clocks.clock,
    by: Optional[str] = None,
) -> dict:
    assigned = await _known(repo, township, body.assigned_official_ids)
    enterprise, happened = Enterprise.register(
        township=township, enterprise_id=body.enterprise_id, name=body.name, category=body.category,
        registered_on=body.registered_on, park=body.park, assigned=assigned, today=clock.today(),
        submission=_submission(body, idem), by=by, at=clock.now(),
    )
    try:
        await repo.add_enterprise(enterprise, happened, at=clock.now())
    except r.AlreadyExists as exists:
        return _already(exists, enterprise.submission, f"enterprise {body.enterprise_id}")
    return r.shown(enterprise)


async def import_enterprises(
    repo: r.Repository, township: str, filename: str, content: bytes, good_rows_only: bool, *, clock: Clock = clocks.clock,
    by: Optional[str] = None,
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
            await register_enterprise(repo, township, body, None, clock=clock, by=by)
            report["imported"].append(row.enterprise_id)
        except Conflict:
            report["already_registered"].append(row.enterprise_id)
    return True, report


def enterprise_view(enterprise: Enterprise, on: date) -> dict:
    """The enterprise with the officials assigned (包抓) on `on`; the full history stays in `assignments`."""
    return {**r.shown(enterprise), "assigned_official_ids": enterprise.assigned_on(on)}


async def enterprise(repo: r.Repository, township: str, enterprise_id: str, on: date) -> dict:
    return enterprise_view(await _loaded(repo, township, enterprise_id), on)


# --- 包抓 assignments ----------------------------------------------------------------------------------------


async def _change_enterprise(repo: r.Repository, township: str, enterprise_id: str, change, clock: Clock) -> dict:
    """Load, change (the change returns its events), save with them; again on a concurrent change."""
    for _ in range(CHANGE_ATTEMPTS):  # a concurrent change of the enterprise: read it again and change that
        enterprise = await _loaded(repo, township, enterprise_id)
        written = len(enterprise.history)
        with _refusals():
            happened = change(enterprise)
        if len(enterprise.history) == written:  # nothing changed: nothing to save
            return enterprise_view(enterprise, clock.today())
        if await repo.save_changes(enterprise, happened, clock.now()):
            return enterprise_view(enterprise, clock.today())
    raise Conflict("the enterprise is being changed by someone else; try again")


async def assign(
    repo: r.Repository, township: str, enterprise_id: str, body: AssignmentIn, *, clock: Clock = clocks.clock,
    by: Optional[str] = None,
) -> dict:
    """Assign a township's or the county's official (AssignmentStarted, and AssignmentEnded if an end is given)."""
    [official] = await _known(repo, township, [body.official_id])
    return await _change_enterprise(
        repo, township, enterprise_id, lambda e: e.assign(official, body.start, body.end, clock.today(), by, clock.now()),
        clock,
    )


async def end_assignment(
    repo: r.Repository, township: str, enterprise_id: str, official_id: str, end: date, *, reason: str = "",
    clock: Clock = clocks.clock, by: Optional[str] = None,
) -> dict:
    return await _change_enterprise(
        repo, township, enterprise_id, lambda e: e.end_assignment(official_id, end, reason, by, clock.now()), clock
    )


async def official_enterprises(repo: r.Repository, official_id: str, township: Optional[str], on: date) -> dict:
    """我的企业: the enterprises the official is assigned to (包抓) on `on`, of every township (township None: a
    county token) or of one, each with its latest visit and its open issues. Through a township, an official known
    to neither its registry nor the county's is a 404, like one nobody has."""
    if township is not None:
        await _known(repo, township, [official_id])
    out = []
    for row in await repo.assigned_to(official_id, township):
        current = [a for a in row.assignments if a.official_id == official_id and a.active_on(on)]
        if not current:
            continue
        out.append({
            "township": row.shown["township"],
            "enterprise_id": row.shown["enterprise_id"],
            "name": row.shown["name"],
            "category": row.shown["category"],
            "park": row.shown.get("park"),
            "assigned_since": current[0].start.isoformat(),
            "assigned_until": current[0].end.isoformat() if current[0].end else None,
            "last_visited_on": row.last_visit.visited_on.isoformat() if row.last_visit else None,
            "last_visited_by": row.last_visit.lead if row.last_visit else None,
        })
    for t in {e["township"] for e in out}:
        counts = open_issues.open_counts(await repo.issue_states(t, [e["enterprise_id"] for e in out if e["township"] == t]))
        for e in out:
            if e["township"] == t:
                e["open_issues"] = counts.get(e["enterprise_id"], 0)
    return {"official_id": official_id, "on": on.isoformat(), "townships": sorted({e["township"] for e in out}),
            "enterprises": out}


async def change_enterprise(
    repo: r.Repository, township: str, enterprise_id: str, body: EnterpriseChange, *, clock: Clock = clocks.clock,
    by: Optional[str] = None,
) -> dict:
    """Edit an enterprise's name, park or status (PATCH); a change publishes EnterpriseChanged, none changes nothing."""
    given = body.model_fields_set
    if not given:  # judged after the enterprise is found: an unknown one is a 404 whatever the body
        await _loaded(repo, township, enterprise_id)
        raise Invalid("body", "give at least one of name, park, status")
    return await _change_enterprise(
        repo, township, enterprise_id,
        lambda e: e.change(name=body.name, park=body.park, clear_park="park" in given and body.park is None,
                           status=body.status, status_on=body.status_on, today=clock.today(), by=by, at=clock.now()),
        clock,
    )


# --- visits --------------------------------------------------------------------------------------------------


def visit_id_for(township: str, idem: Optional[str]) -> str:
    """A retry with the same Idempotency-Key names the same visit; without a key every request is a new one."""
    return f"v-{uuid.uuid5(uuid.NAMESPACE_URL, f'{township}/{idem}') if idem else uuid.uuid4()}"


async def log_visit(
    repo: r.Repository, township: str, body: VisitIn, idem: Optional[str], *, clock: Clock = clocks.clock,
    by: Optional[str] = None,
) -> dict:
    """The disturbance guard as a conditional write, right with any number of replicas: the enterprise decides on
    its log, the repository saves the visit only if no other visit was logged to it since it was read; if one was,
    read again and decide again (so of two conflicting routine visits exactly one is accepted; the other gets the
    409 naming it). A retry with the same key gets the first visit, never the guard's answer to itself."""
    visit_id = visit_id_for(township, idem)
    submission = _submission(body, idem)
    if idem and (first := _first_result(await repo.visit(township, visit_id), submission)) is not None:
        return first
    enterprise = await _loaded(repo, township, body.enterprise_id)
    visitors = await _known(repo, township, body.visitor_ids)
    with _refusals():
        visit = Visit.log(
            visit_id=visit_id, enterprise=enterprise, visited_on=body.visited_on, channel=body.channel, kind=body.kind,
            visitors=visitors, services=body.services, summary=body.summary, demands=body.demands,
            override_reason=body.override_reason, today=clock.today(), logged_at=clock.now(), submission=submission,
            plan_id=body.plan_id, by=by,
        )
    quiet = await repo.quiet_days(township)
    for attempt in range(RESERVE_ATTEMPTS):
        if attempt:
            await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))  # spread the next round a little
            enterprise = await _loaded(repo, township, body.enterprise_id)
        if enterprise.has_logged(visit_id):  # this key's request logged it (it died, or runs beside us)
            if (first := _first_result(await repo.finish_logged(enterprise, visit_id), submission)) is not None:
                return first
        await repo.finish_interrupted(clock.now() - timedelta(seconds=RECOVER_AFTER_S), enterprise)
        with _refusals():
            happened = enterprise.log(visit, quiet)
        if await repo.add_visit(enterprise, visit, happened):
            return r.shown(visit)
    raise Conflict("the enterprise is being changed by someone else; try again")


async def recover_reserved(repo: r.Repository, older_than_s: float = RECOVER_AFTER_S, *, clock: Clock = clocks.clock) -> int:
    """Store the visits reserved by a process that died before storing them; returns how many this call stored."""
    return await repo.finish_interrupted(clock.now() - timedelta(seconds=older_than_s))


# --- planned visits (走访计划) ----------------------------------------------------------------------------------


def plan_id_for(township: str, idem: Optional[str]) -> str:
    """As visit_id_for: a retry with the same Idempotency-Key names the same plan."""
    return f"p-{uuid.uuid5(uuid.NAMESPACE_URL, f'{township}/plan/{idem}') if idem else uuid.uuid4()}"


async def plan_warnings(repo: r.Repository, township: str, enterprise: Enterprise, plan: Plan) -> list[dict]:
    """What a planner should know about a plan that is accepted all the same (each `{code, message, ...}`): the
    enterprise over the county's contact budget for the plan's month, with the planned visits it could join."""
    warning = await repo.contact_warning(enterprise.enterprise_id, plan.planned_on, plan.plan_id) if plan.open else None
    return [warning] if warning else []


async def _planned(repo: r.Repository, township: str, enterprise: Enterprise, plan: Plan) -> dict:
    return {**r.plan_shown(enterprise, plan), "warnings": await plan_warnings(repo, township, enterprise, plan)}


async def plan_visit(
    repo: r.Repository, township: str, body: PlanIn, idem: Optional[str], *, clock: Clock = clocks.clock,
    by: Optional[str] = None,
) -> dict:
    """Plan a visit for today or later. Within the quiet period of another open plan it is refused 409 with
    `join` naming that plan (join it: one POST), within that of a past visit as a visit would be."""
    plan_id = plan_id_for(township, idem)
    lead, *invited = await _known(repo, township, [body.lead_id, *body.invited_ids])
    quiet = await repo.quiet_days(township)
    for attempt in range(RESERVE_ATTEMPTS):
        if attempt:
            await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
        enterprise = await _loaded(repo, township, body.enterprise_id)
        if idem and any(p.plan_id == plan_id for p in enterprise.plans):  # a retry: the first plan
            return await _planned(repo, township, enterprise, enterprise.plan_of(plan_id))
        plan = Plan(
            plan_id=plan_id, enterprise_id=enterprise.enterprise_id, planned_on=body.planned_on, lead=lead.as_named(),
            invited=tuple(o.as_named() for o in invited), purpose=body.purpose,
        )
        with _refusals():
            happened = enterprise.plan(plan, quiet, clock.today(), body.override_reason)
        enterprise.record_plan("planned", plan_id, by, clock.now(), planned_on=body.planned_on.isoformat())
        if await repo.save_plans(enterprise, happened, clock.now()):
            return await _planned(repo, township, enterprise, enterprise.plan_of(plan_id))
    raise Conflict("the enterprise is being changed by someone else; try again")


async def _change_plan(repo: r.Repository, township: str, plan_id: str, change, clock: Clock,
                       by: Optional[str] = None, action: str = "plan_changed") -> dict:
    """Load the plan's enterprise, change the plan, save; again if the enterprise changed meanwhile."""
    enterprise_id = await repo.enterprise_of_plan(township, plan_id)
    if enterprise_id is None:
        raise NotFound("plan", [plan_id])
    for attempt in range(RESERVE_ATTEMPTS):
        if attempt:
            await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
        enterprise = await _loaded(repo, township, enterprise_id)
        with _refusals():
            happened = change(enterprise)
        if happened:
            enterprise.record_plan(action, plan_id, by, clock.now())
        if not happened or await repo.save_plans(enterprise, happened, clock.now()):
            return r.plan_shown(enterprise, enterprise.plan_of(plan_id))
    raise Conflict("the enterprise is being changed by someone else; try again")


async def join_plan(repo: r.Repository, township: str, plan_id: str, official_id: str, *, clock: Clock = clocks.clock,
                    by: Optional[str] = None) -> dict:
    """联合走访 in one step: the official goes with the planned visit (joining twice changes nothing)."""
    [official] = await _known(repo, township, [official_id])
    return await _change_plan(repo, township, plan_id, lambda e: e.join(plan_id, official), clock, by, "plan_joined")


async def cancel_plan(repo: r.Repository, township: str, plan_id: str, reason: str, *, clock: Clock = clocks.clock,
                      by: Optional[str] = None) -> dict:
    return await _change_plan(repo, township, plan_id, lambda e: e.cancel(plan_id, reason, clock.today()), clock, by,
                              "plan_cancelled")


async def plans(
    repo: r.Repository,
    township: str,
    official_id: Optional[str] = None,
    start: Optional[date] = None,
    end: Optional[date] = None,
    enterprise_id: Optional[str] = None,
    status: Optional[str] = None,
) -> list[dict]:
    """The township's plans by day; `official_id`: the plans that official leads, is invited to or joined."""
    found = [
        (e, p) for e, p in await repo.plans(township)
        if (not official_id or p.includes(official_id)) and (not start or p.planned_on >= start)
        and (not end or p.planned_on <= end) and (not enterprise_id or p.enterprise_id == enterprise_id)
        and (not status or p.status == status)
    ]
    found.sort(key=lambda ep: (ep[1].planned_on, ep[1].plan_id))
    return [r.plan_shown(e, p) for e, p in found]


async def plan(repo: r.Repository, township: str, plan_id: str) -> dict:
    enterprise_id = await repo.enterprise_of_plan(township, plan_id)
    enterprise = await repo.enterprise(township, enterprise_id) if enterprise_id else None
    if enterprise is None:
        raise NotFound("plan", [plan_id])
    return r.plan_shown(enterprise, enterprise.plan_of(plan_id))


# --- 企业走访日 campaigns ----------------------------------------------------------------------------------------


def campaign_shown(campaign: Campaign) -> dict:
    return {
        **r.shown(campaign),
        "invitations": [
            {**o.model_dump(mode="json"), "answer": campaign.answer_of(o.official_id),
             "reason": campaign.answers[o.official_id].reason if o.official_id in campaign.answers else ""}
            for o in campaign.invited
        ],
    }


async def _campaign(repo: r.Repository, township: str, campaign_id: str) -> Campaign:
    found = await repo.campaign(township, campaign_id)
    if found is None:
        raise NotFound("campaign", [campaign_id])
    return found


async def announce_campaign(
    repo: r.Repository, township: str, body: CampaignIn, idem: Optional[str], *, clock: Clock = clocks.clock,
    by: Optional[str] = None,
) -> dict:
    invited = await _known(repo, township, body.invited_ids)
    [host] = await _known(repo, township, [body.host_id])
    missing = [eid for eid in body.enterprise_ids if await repo.enterprise(township, eid) is None]
    if missing:
        raise NotFound("enterprise", missing)
    campaign_id = body.campaign_id or (
        f"c-{uuid.uuid5(uuid.NAMESPACE_URL, f'{township}/campaign/{idem}') if idem else uuid.uuid4()}"
    )
    with _refusals():
        campaign, happened = Campaign.announce(
            township=township, campaign_id=campaign_id, name=body.name, days=body.days,
            enterprise_ids=body.enterprise_ids, invited=invited, host=host, today=clock.today(),
            submission=_submission(body, idem), by=by, at=clock.now(),
        )
    try:
        await repo.add_campaign(campaign, happened, clock.now())
    except r.AlreadyExists as exists:
        if (first := _first_result(exists.existing, campaign.submission)) is not None:
            return campaign_shown(exists.existing)
        raise Conflict(f"campaign {campaign_id} already exists") from None
    return campaign_shown(campaign)


async def campaigns(repo: r.Repository, township: str) -> list[dict]:
    return [campaign_shown(c) for c in await repo.campaigns(township)]


async def campaign(repo: r.Repository, township: str, campaign_id: str) -> dict:
    return campaign_shown(await _campaign(repo, township, campaign_id))


async def answer_invitation(
    repo: r.Repository, township: str, campaign_id: str, body: AnswerIn, *, clock: Clock = clocks.clock,
    by: Optional[str] = None,
) -> dict:
    """An invited leader accepts or declines (declining needs a reason); the same answer twice publishes once."""
    for _ in range(CHANGE_ATTEMPTS):
        found = await _campaign(repo, township, campaign_id)
        with _refusals():
            happened = found.answer(body.official_id, body.accepted, body.reason, by, clock.now())
        if not happened or await repo.save_campaign(found, happened, clock.now()):
            return campaign_shown(found)
    raise Conflict("the campaign is being changed by someone else; try again")


async def make_campaign_plans(repo: r.Repository, township: str, campaign_id: str, *, clock: Clock = clocks.clock,
                              by: Optional[str] = None) -> dict:
    """One plan per enterprise in scope (Campaign.plan_for), through the same guard as any plan: an enterprise with
    another plan in the quiet period is left out with the `join` offer, one visited too recently with the reason.
    Made again, it makes only the plans still missing."""
    found = await _campaign(repo, township, campaign_id)
    quiet = await repo.quiet_days(township)
    made, already, not_planned = [], [], []
    for eid in found.enterprise_ids:
        for attempt in range(RESERVE_ATTEMPTS):
            enterprise = await _loaded(repo, township, eid)
            plan = found.plan_for(enterprise)
            if any(p.plan_id == plan.plan_id for p in enterprise.plans):
                already.append(r.plan_shown(enterprise, enterprise.plan_of(plan.plan_id)))
                break
            try:
                with _refusals():
                    happened = enterprise.plan(plan, quiet, clock.today())
            except (Conflict, Invalid) as refused:
                extra = getattr(refused, "detail", {}) if isinstance(refused, Conflict) else {"field": refused.field}
                not_planned.append({"enterprise_id": eid, "reason": str(refused), **extra})
                break
            enterprise.record_plan("planned", plan.plan_id, by, clock.now(), planned_on=plan.planned_on.isoformat(),
                                   campaign_id=campaign_id)
            if await repo.save_plans(enterprise, happened, clock.now()):
                made.append(r.plan_shown(enterprise, enterprise.plan_of(plan.plan_id)))
                break
        else:
            raise Conflict("the enterprise is being changed by someone else; try again")
    return {"campaign_id": campaign_id, "made": made, "already": already, "not_planned": not_planned}


async def campaign_progress(repo: r.Repository, township: str, campaign_id: str) -> dict:
    """Planned against done, per enterprise and per leader (Campaign.progress)."""
    found = await _campaign(repo, township, campaign_id)
    plans_of = {}
    for eid in found.enterprise_ids:
        enterprise = await repo.enterprise(township, eid)
        pid = found.plan_id_for(eid)
        plans_of[eid] = next((p for p in enterprise.plans if p.plan_id == pid), None) if enterprise else None
    return {"name": found.name, "days": [d.isoformat() for d in found.days], **found.progress(plans_of)}


# --- reads ---------------------------------------------------------------------------------------------------


async def enterprises(repo: r.Repository, township: str, on: date) -> list[dict]:
    """The registry with each enterprise's latest visit, kept on its document: no visit is read."""
    return [
        {
            **e.shown,
            "assigned_official_ids": domain.assigned_on(e.assignments, on),
            "last_visited_on": e.last_visit.visited_on.isoformat() if e.last_visit else None,
            "last_visited_by": e.last_visit.lead if e.last_visit else None,
        }
        for e in await repo.listed(township)
    ]


async def visit_guard(repo: r.Repository, township: str, on: date) -> list[dict]:
    """For each enterprise: when it was last visited, by whom, and whether a routine visit on `on` is refused."""
    quiet = await repo.quiet_days(township)
    out = []
    for e in await repo.with_logs(township):
        decision = e.routine_visit(on, quiet)
        last = e.last_visit()
        out.append({
            "enterprise_id": e.enterprise_id,
            "name": e.name,
            "last_visited_on": last.visited_on.isoformat() if last else None,
            "last_visited_by": last.lead if last else None,
            "routine_visit_refused": decision.refused,
            "routine_visit_allowed_from": decision.quiet_until.isoformat() if decision.refused else on.isoformat(),
        })
    return out
