"""Tokens: stored as SHA-256 only, scoped to a township or the county, ordered roles; the gate and its scope rules."""
from __future__ import annotations

import functools
import importlib
import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from buildingblocks import auth
from buildingblocks.auth import DEV_TOKENS, Principal, Role, ScopeRules, TokenStore, digest, install_gate


def test_the_token_file_holds_digests_not_tokens():
    raw = DEV_TOKENS.read_text()
    assert "dev-dacheng-clerk" not in raw
    assert digest("dev-dacheng-clerk") in json.loads(raw)


def test_dev_tokens_resolve_to_their_scope_and_role():
    store = TokenStore.from_file(DEV_TOKENS)
    assert store.principal("dev-dacheng-clerk") == Principal(name="大程镇企业办", scope="dacheng", role=Role.clerk)
    assert store.principal("dev-county-admin").scope == "county"
    assert store.principal("not-a-token") is None


def test_a_township_token_stays_in_its_township_and_roles_are_ordered():
    clerk = Principal(name="c", scope="dacheng", role=Role.clerk)
    assert clerk.may("dacheng", Role.viewer) and clerk.may("dacheng", Role.clerk)
    assert not clerk.may("dacheng", Role.admin)
    assert not clerk.may("xiyang", Role.viewer)
    assert not clerk.may(None, Role.viewer)  # county-wide reads need a county token


def test_a_handler_passes_no_township_check_and_a_supervisor_ranks_between_clerk_and_admin():
    store = TokenStore.from_file(DEV_TOKENS)
    rss = store.principal("dev-dacheng-unit-rss")
    assert rss == Principal(name="大程镇人社所", scope="dacheng", role=Role.handler, unit_id="dacheng-rss")
    assert store.principal("dev-county-unit-rsj").unit_id == "c-rsj" and rss.covers("dacheng") and not rss.covers("xiyang")
    assert not any(rss.may("dacheng", role) for role in (Role.viewer, Role.clerk, Role.supervisor, Role.admin))
    supervisor = store.principal("dev-county-supervisor")
    assert supervisor.may("dacheng", Role.clerk) and supervisor.may("dacheng", Role.supervisor)
    assert not supervisor.may("dacheng", Role.admin) and Role.clerk < Role.supervisor < Role.admin


def test_the_gate_lets_a_handler_reach_only_the_routes_that_name_it():
    rules = ScopeRules(township=["/api/v1/townships/{township}"],
                       handler=["GET /api/v1/townships/{township}/issues/{issue_id}",
                                "POST /api/v1/townships/{township}/issues/{issue_id}/acknowledge"])
    assert rules.for_handler("GET", "/api/v1/townships/dacheng/issues/i-1")
    assert rules.for_handler("POST", "/api/v1/townships/dacheng/issues/i-1/acknowledge")
    assert not rules.for_handler("POST", "/api/v1/townships/dacheng/issues/i-1")
    assert not rules.for_handler("GET", "/api/v1/townships/dacheng/issues")
    assert not rules.for_handler("GET", "/api/v1/townships/dacheng/issues/i-1/acknowledge")
    assert not rules.for_handler("POST", "/api/v1/townships/dacheng/issues/i-1/acknowledge/x")


def test_a_county_token_covers_every_township():
    viewer = Principal(name="v", scope="county", role=Role.viewer)
    assert viewer.may("dacheng", Role.viewer) and viewer.may(None, Role.viewer)
    assert not viewer.may("dacheng", Role.clerk)


def test_a_token_may_name_its_official_and_the_others_name_none():
    store = TokenStore.from_file(DEV_TOKENS)
    leader = store.principal("dev-county-leader")
    assert leader == Principal(name="王建国", scope="county", role=Role.viewer, official_id="cl-wang-jianguo")
    assert store.principal("dev-dacheng-clerk").official_id is None


def test_new_prints_the_official_only_when_given(monkeypatch, capsys):
    from buildingblocks import auth

    lines = {}
    for extra in ([], ["--official", "t-zhang-san"]):
        monkeypatch.setattr("sys.argv", ["auth", "new", "--scope", "dacheng", "--role", "clerk", "--name", "张三", *extra])
        auth.main()
        token_line, entry_line = capsys.readouterr().out.splitlines()
        token = token_line.rsplit(" ", 1)[-1]
        [(key, entry)] = json.loads(entry_line).items()
        assert key == digest(token) and token not in entry_line
        lines[bool(extra)] = entry
    assert lines[False] == {"name": "张三", "scope": "dacheng", "role": "clerk"}
    assert lines[True] == {"name": "张三", "scope": "dacheng", "role": "clerk", "official_id": "t-zhang-san"}


# ---- the gate: the mechanism here, each service's scope rules in its api module

SERVICES = ("visits", "issues", "reporting")
TENANT_PARAMS = ("township", "scope")  # the path parameters that name whose data it is


@functools.cache
def service_app(service: str) -> FastAPI:
    return importlib.import_module(f"{service}.app").create_app()


def gated(rules: ScopeRules) -> TestClient:
    app = FastAPI()
    app.state.tokens = TokenStore.from_file(DEV_TOKENS)
    install_gate(app, rules)

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def anything(path: str):
        return {"routed": path}

    return TestClient(app)


def test_a_scope_rule_names_the_township_of_the_path_and_everything_under_it():
    rules = ScopeRules(township=["/api/v1/things/{township}"], county=["/api/v1/calendar"])
    assert rules.scope_of("/api/v1/things/dacheng") == (True, "dacheng")
    assert rules.scope_of("/api/v1/things/dacheng/more") == (True, "dacheng")
    assert rules.scope_of("/api/v1/things/county/2026") == (True, None)
    assert rules.scope_of("/api/v1/calendar/2027") == (True, None)
    for path in ("/api/v1/things", "/api/v1/thingsX/dacheng", "/api/v1/calendarX", "/api/v1/other/dacheng"):
        assert rules.scope_of(path) == (False, None), path


def test_a_scope_rule_names_exactly_one_segment():
    for bad in ("/api/v1/things", "/api/v1/{a}/{b}"):
        with pytest.raises(ValueError):
            ScopeRules(township=[bad])


def test_the_gate_refuses_with_the_fixed_answers_before_routing():
    client = gated(ScopeRules(township=["/api/v1/things/{township}"], county=["/api/v1/calendar"]))
    dacheng_clerk, dacheng_viewer, county_viewer = ({"Authorization": f"Bearer dev-{t}"} for t in (
        "dacheng-clerk", "dacheng-viewer", "county-viewer"))
    no_token = client.get("/api/v1/things/dacheng")
    assert (no_token.status_code, no_token.json()) == (401, {"detail": auth.UNAUTHORIZED.detail})
    assert no_token.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/things/dacheng", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/things/dacheng", headers=dacheng_viewer).status_code == 200
    refused = client.get("/api/v1/things/xiyang", headers=dacheng_clerk)
    assert (refused.status_code, refused.json()) == (403, {"detail": auth.FORBIDDEN.detail})
    assert client.post("/api/v1/things/dacheng", headers=dacheng_viewer).status_code == 403  # a viewer writing
    assert client.post("/api/v1/things/dacheng", headers=dacheng_clerk).status_code == 200
    assert client.get("/api/v1/things/county", headers=dacheng_clerk).status_code == 403
    assert client.get("/api/v1/calendar", headers=dacheng_clerk).status_code == 403
    assert client.get("/api/v1/calendar", headers=county_viewer).status_code == 200
    assert client.get("/api/v1/elsewhere/xiyang", headers=dacheng_viewer).status_code == 200  # not this gate's to say
    assert client.get("/health").status_code == 200  # outside /api/: no token needed


def test_buildingblocks_names_no_service_route():
    """The services' paths are theirs (their api modules' SCOPE_RULES); the gate only applies them."""
    assert not re.search(r"reports|bulletins|scorecards|ledger|calendar", Path(auth.__file__).read_text(encoding="utf-8"))


def route_paths(service: str) -> set[str]:
    try:  # FastAPI ≥ 0.165 keeps included routers as lazily expanded entries of app.routes
        from fastapi.routing import iter_route_contexts
        return {rc.path for rc in iter_route_contexts(service_app(service).routes)}
    except ImportError:
        return {getattr(r, "path", "") for r in service_app(service).routes}


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_naming_a_township_is_under_its_services_scope_rules(service):
    rules: ScopeRules = service_app(service).state.scope_rules
    covered = 0
    for path in route_paths(service):
        params = re.findall(r"\{([^}:]+)", path)
        tenant = [p for p in params if p in TENANT_PARAMS]
        if not tenant:
            continue
        concrete = re.sub(r"\{[^}]+\}", lambda m: "T-MARK" if m[0][1:-1] in TENANT_PARAMS else "x", path)
        assert rules.scope_of(concrete) == (True, "T-MARK"), (service, path)
        covered += 1
    assert covered


def test_each_service_declares_its_own_rules():
    rules = {s: service_app(s).state.scope_rules for s in SERVICES}
    assert rules["visits"].township == ("/api/v1/townships/{township}",)
    assert rules["visits"].county == ("/api/v1/contacts", "/api/v1/officials")  # 我的企业 across townships
    assert rules["issues"].township == ("/api/v1/townships/{township}",)
    assert rules["issues"].county == ("/api/v1/calendar",)
    assert {t.split("/")[3] for t in rules["reporting"].township} == {"reports", "bulletins", "scorecards", "ledger",
                                                                     "evaluations"}
    # the county's visit quotas and the year-end evaluation's weights
    assert rules["reporting"].county == ("/api/v1/quotas", "/api/v1/evaluation/weights")
