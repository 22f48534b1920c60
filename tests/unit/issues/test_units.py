"""Units (责任单位), routing and what the units do, through the handlers and the HTTP routes on the fake repository:
the registry and its ids, default routing of requests and intake, and who may take which step."""
from __future__ import annotations

from datetime import date

import httpx
import pytest

from buildingblocks.clock import FixedClock
from buildingblocks.errors import Conflict, Invalid
from contracts.events import IssueRaised, UnitRegistered
from issues import domain, handlers, intake
from issues.requests import AssignIn, IssueIn, UnitIn
from tests.support.apps import bearer
from tests.unit.issues.test_api import app_on
from tests.unit.issues.test_handlers import E1, report, visit

T = "dacheng"
P = f"/api/v1/townships/{T}"
CLERK, ADMIN, VIEWER = bearer("dacheng_clerk"), bearer("county_admin"), bearer("dacheng_viewer")
SUPERVISOR, RSS, RSJ = bearer("county_supervisor"), bearer("dacheng_unit_rss"), bearer("county_unit_rsj")
ZRZYJ, XIYANG = bearer("county_unit_zrzyj"), bearer("xiyang_clerk")


async def register(ctx) -> None:
    await handlers.put_unit(ctx, "county", "c-rsj", UnitIn(name="县人社局", kind="county_department", head="赵局长"))
    await handlers.put_unit(ctx, "county", "c-zrzyj", UnitIn(name="县自然资源局", kind="county_department"))
    await handlers.put_unit(ctx, T, "dacheng-rss", UnitIn(name="大程镇人社所", kind="township_office"))
    await handlers.set_routing(ctx, T, {"labour": "dacheng-rss", "land": "c-zrzyj"})


async def test_units_are_registered_once_county_wide_and_each_change_is_published(ctx, repo):
    await register(ctx)
    events = repo.events(UnitRegistered)
    assert [(e.unit_id, e.name) for e in events] == [("c-rsj", "县人社局"), ("c-zrzyj", "县自然资源局"),
                                                    ("dacheng-rss", "大程镇人社所")]
    assert [t for t, e in repo.published if isinstance(e, UnitRegistered)] == ["county", "county", T]
    await handlers.put_unit(ctx, "county", "c-rsj", UnitIn(name="县人社局", kind="county_department", head="赵局长"))
    assert len(repo.events(UnitRegistered)) == 3  # the same again publishes nothing
    with pytest.raises(Conflict):  # the county's id, taken by a township
        await handlers.put_unit(ctx, T, "c-rsj", UnitIn(name="冒名", kind="other"))
    await handlers.put_unit(ctx, T, "dacheng-rss", UnitIn(name="大程镇人社所", kind="township_office", active=False))
    assert [u["unit_id"] for u in await handlers.units(ctx, T, routable=True)] == ["c-rsj", "c-zrzyj"]
    assert [u["unit_id"] for u in await handlers.units(ctx, T, routable=False)] == ["dacheng-rss"]
    with pytest.raises(Invalid) as inactive:
        await handlers.set_routing(ctx, T, {"policy": "dacheng-rss"})
    assert inactive.value.field == "policy"
    with pytest.raises(Invalid) as parent:
        await handlers.put_unit(ctx, T, "dacheng-x", UnitIn(name="x", kind="other", parent_id="nobody"))
    assert parent.value.field == "parent_id"


async def test_a_request_without_a_unit_goes_to_the_categorys_unit_and_a_free_text_one_is_kept(ctx, repo):
    await register(ctx)
    base = {"enterprise_id": E1, "description": "x", "source": "leader", "raised_on": "2026-03-02"}
    _, routed = await handlers.raise_from_request(ctx, T, IssueIn(category="labour", **base), None, "clerk")
    assert (routed["unit_id"], routed["responsible_unit"], routed["unit_registered"], routed["routing"]) == \
           ("dacheng-rss", "大程镇人社所", True, "routed")
    _, free = await handlers.raise_from_request(ctx, T, IssueIn(category="labour", responsible_unit="外部单位", **base),
                                                None, "clerk")
    assert (free["unit_id"], free["responsible_unit"], free["unit_registered"]) == (None, "外部单位", False)
    _, unrouted = await handlers.raise_from_request(ctx, T, IssueIn(category="policy", **base), None, "clerk")
    assert unrouted["routing"] == "unrouted" and unrouted["unit_id"] is None
    _, given = await handlers.raise_from_request(ctx, T, IssueIn(category="labour", unit_id="c-rsj", external_id="w-1",
                                                                 source_system="12345", **base), None, "clerk")
    assert (given["unit_id"], given["external_id"], given["source_system"]) == ("c-rsj", "w-1", "12345")
    with pytest.raises(Invalid) as unknown:
        await handlers.raise_from_request(ctx, T, IssueIn(category="labour", unit_id="nobody", **base), None, "clerk")
    assert unknown.value.field == "unit_id"
    with pytest.raises(Invalid):  # another township's unit
        await handlers.put_unit(ctx, "xiyang", "xiyang-rss", UnitIn(name="西阳镇人社所", kind="township_office"))
        await handlers.assign(ctx, T, given["issue_id"], AssignIn(unit_id="xiyang-rss"), "clerk")


async def test_intake_routes_visit_demands_and_reports_and_keeps_the_senders_id_and_system(ctx, repo):
    await register(ctx)
    await handlers.set_routing(ctx, T, {"infrastructure": "c-zrzyj"})
    await intake.take_in(ctx, [visit([{"demand_id": "d1", "category": "labour", "description": "缺焊工",
                                       "resolved_on_spot": False}]), report("12345-9")])
    by_id = {d["issue_id"]: d for d in repo.docs.values()}
    from_visit = by_id[domain.issue_id_for_demand(T, "d1")]
    assert from_visit["unit_id"] == "dacheng-rss" and from_visit["routing"] == "routed"
    [raised_visit, raised_report] = repo.events(IssueRaised)
    assert raised_visit.unit_id == "dacheng-rss" and raised_report.unit_id == "c-zrzyj"
    assert (raised_report.external_id, raised_report.source_system) == ("12345-9", "/county/12345-hotline")


# ---- through HTTP: who may take which step ------------------------------------------------------------------------


@pytest.fixture
async def web(repo, ctx, clock):
    await register(ctx)
    app = app_on(repo, FixedClock(date(2026, 11, 16)))
    app.state.ctx = ctx
    from buildingblocks.auth import install_gate
    install_gate(app, __import__("issues.api", fromlist=["SCOPE_RULES"]).SCOPE_RULES)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://issues") as c:
        yield c


async def raised(web, **extra) -> str:
    r = await web.post(f"{P}/issues", headers=CLERK, json={"enterprise_id": E1, "category": "labour",
                                                            "description": "缺焊工", "source": "leader", **extra})
    assert r.status_code == 201, r.text
    return r.json()["issue_id"]


async def test_a_handler_works_its_units_issues_only_and_is_refused_alike_elsewhere(web):
    mine, theirs = await raised(web), await raised(web, unit_id="c-zrzyj")
    forbidden = {"detail": "this token may not do that here"}
    for path in (f"{P}/issues/{theirs}", f"{P}/issues/i-nobody"):
        r = await web.get(path, headers=RSS)
        assert (r.status_code, r.json()) == (403, forbidden)
        r = await web.post(path + "/acknowledge", headers=RSS, json={})
        assert (r.status_code, r.json()) == (403, forbidden)
    for method, path in [("GET", f"{P}/issues"), ("GET", f"{P}/units"), ("POST", f"{P}/issues/{mine}/co-handling"),
                         ("POST", f"{P}/issues/{mine}/follow-up"), ("POST", f"{P}/issues/{mine}/extend"),
                         ("GET", "/api/v1/supervision"), ("GET", "/api/v1/units/c-zrzyj/issues")]:
        r = await web.request(method, path, headers=RSS, json={})
        assert (r.status_code, r.json()) == (403, forbidden), (method, path)
    assert (await web.get(f"{P}/issues/{mine}", headers=RSS)).status_code == 200
    r = await web.post(f"{P}/issues/{mine}/acknowledge", headers=RSS, json={})
    assert r.status_code == 200 and r.json()["routing"] == "acknowledged"
    queue = (await web.get("/api/v1/units/dacheng-rss/issues", headers=RSS)).json()
    assert [i["issue_id"] for i in queue] == [mine]
    assert [i["issue_id"] for i in (await web.get("/api/v1/units/c-zrzyj/issues", headers=VIEWER)).json()] == [theirs]
    assert (await web.get("/api/v1/units/c-zrzyj/issues", headers=XIYANG)).json() == []  # Dacheng's issues are not Xiyang's


async def test_the_steps_and_their_roles_through_http(web):
    i = await raised(web)
    path = f"{P}/issues/{i}"
    assert (await web.post(path + "/acknowledge", headers=CLERK, json={})).status_code == 403  # the unit acknowledges
    r = await web.post(path + "/return", headers=RSS, json={"reason": "属县局", "suggested_unit_id": "c-rsj"})
    assert r.status_code == 200 and r.json()["routing"] == "returned"
    returned = (await web.get(f"{P}/issues", params={"routing": "returned"}, headers=VIEWER)).json()
    assert [x["issue_id"] for x in returned] == [i]
    assert (await web.post(path + "/assign", headers=CLERK, json={"unit_id": "c-rsj", "reason": "改派"})).status_code == 200
    assert (await web.get(path, headers=RSS)).status_code == 403  # no longer its issue
    assert (await web.post(path + "/acknowledge", headers=RSJ, json={})).status_code == 200
    assert (await web.post(path + "/co-handling", headers=CLERK, json={"co_unit_ids": ["c-zrzyj"]})).status_code == 200
    r = await web.post(path + "/close", headers=RSJ, json={"closed_on": "2026-11-16", "outcome": "resolved",
                                                           "resolution": "已解决"})
    assert r.status_code == 409 and "c-zrzyj" in r.text
    assert (await web.get(path, headers=ZRZYJ)).status_code == 200  # a co-unit reads it
    assert (await web.post(path + "/progress", headers=ZRZYJ, json={"note": "已核", "part_done": True})).status_code == 200
    r = await web.post(path + "/extension-requests", headers=RSJ, json={"deadline": "2026-12-31", "reason": "待批"})
    assert r.status_code == 201 and r.json()["status"] == "pending"
    request_id = r.json()["request_id"]
    decision = f"{path}/extension-requests/{request_id}/decision"
    assert (await web.post(decision, headers=CLERK, json={"approved": True})).status_code == 403
    assert (await web.post(path + "/extension-requests/x-nope/decision", headers=SUPERVISOR,
                           json={"approved": True})).status_code == 404
    r = await web.post(decision, headers=SUPERVISOR, json={"approved": True, "reason": "同意"})
    assert r.status_code == 200 and r.json()["deadline"] == "2026-12-31"
    r = await web.post(path + "/close", headers=RSJ, json={"closed_on": "2026-11-16", "outcome": "resolved",
                                                           "resolution": "已解决"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert (await web.post(path + "/follow-up", headers=RSJ, json={"satisfaction": "satisfied"})).status_code == 403
    r = await web.post(path + "/follow-up", headers=SUPERVISOR, json={"satisfaction": "dissatisfied", "note": "仍缺工"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["routing"], r.json()["unit_id"]) == ("open", "routed", "c-rsj")


async def test_units_routing_and_findings_through_http(web, repo):
    r = await web.put(f"{P}/units/dacheng-yxe", headers=CLERK, json={"name": "园小二", "kind": "park_service"})
    assert r.status_code == 403  # a township's admin registers its units
    r = await web.put(f"{P}/units/dacheng-yxe", headers=ADMIN, json={"name": "园小二服务点", "kind": "park_service",
                                                                     "head": "李站长"})
    assert r.status_code == 200 and r.json()["township"] == T
    assert (r.json()["recorded_by"], r.json()["recorded_at"]) == ("县营商办管理员", "2026-11-16T09:00:00+08:00")
    r = await web.put(f"{P}/units/Bad_Id", headers=ADMIN, json={"name": "x", "kind": "other"})
    assert r.status_code == 422
    r = await web.put(f"{P}/routing", headers=ADMIN, json={"market": "dacheng-yxe", "labour": None})
    assert r.status_code == 200 and r.json()["market"] == "dacheng-yxe" and r.json()["labour"] is None
    assert repo.routing_history[T][-1]["by"] == "县营商办管理员"  # who set it, kept with the routing
    assert (await web.get(f"{P}/routing", headers=VIEWER)).json()["land"] == "c-zrzyj"
    r = await web.put(f"{P}/routing", headers=ADMIN, json={"market": "nobody"})
    assert r.status_code == 422 and "market" in r.text
    units = (await web.get(f"{P}/units", params={"routable": "true"}, headers=VIEWER)).json()
    assert {u["unit_id"] for u in units} == {"c-rsj", "c-zrzyj", "dacheng-rss", "dacheng-yxe"}
    r = await web.post(f"{P}/findings", headers=CLERK, json={
        "found_by": "walkthrough", "subject_kind": "procedure", "subject_name": "企业开办窗口", "category": "market",
        "description": "材料重复提交"})
    assert r.status_code == 201 and r.json()["kind"] == "finding" and r.json()["unit_id"] == "dacheng-yxe"
    assert r.json()["enterprise_id"] is None and r.json()["subject_name"] == "企业开办窗口"
    findings = (await web.get(f"{P}/issues", params={"kind": "finding"}, headers=VIEWER)).json()
    assert [f["issue_id"] for f in findings] == [r.json()["issue_id"]]
