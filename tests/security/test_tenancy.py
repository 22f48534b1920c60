"""Who may do what, for every operation of the three services, derived from their OpenAPI documents (a new endpoint
is in the matrix as soon as it is routed), against the services as real processes holding Dacheng's data.

- no token, an unknown token or another scheme: 401, the fixed body, for every operation but /health and the docs;
- Xiyang's clerk on Dacheng: 403, byte for byte the answer for a township that does not exist (status, body,
  headers): it learns nothing, not even whether Dacheng has the data asked for;
- a viewer (Dacheng's or the county's) writes nothing: 403;
- county-wide operations (no township parameter, or scope `county`) need a county token: township tokens get 403;
  but the township registry's list, which every valid token reads alike;
- refused writes change nothing (the data read back before and after is the same);
- Xiyang's ids asked for through Dacheng's path, with Dacheng's token, are unknown exactly like ids nobody has, and
  writes through that path change nothing of Xiyang's;
- the token is checked before anything of the request is read: the body, the township id;
- a handler token (a responsible unit's) reads and acts on its unit's issues only: another unit's issue gets the
  same 403 as an issue that does not exist, and every other operation of the three services is 403.
"""
from __future__ import annotations

import time
from typing import Optional

import httpx
import pytest

from tests.security.common import (
    COUNTY, E1, E2, FOREIGN, RECENT, FORBIDDEN_BODY, HOME, NOWHERE, PERIOD, PUBLIC_PATHS, SERVICES, TOKEN, UNAUTHORIZED_BODY,
    Operation, operations, request, routes, seed_issues, seed_visits,
)

OPERATIONS = operations()
TENANT_OPS = [op for op in OPERATIONS if op.tenant_param]
WRITE_OPS = [op for op in OPERATIONS if op.is_write]
# Open to every valid token, whatever its scope and role: the township registry's list (ids and names only, which
# every console needs to show a township by its name). Every other operation without a township is county-wide.
ANY_TOKEN_OPS = [op for op in OPERATIONS if (op.service, op.method, op.path) == ("visits", "GET", "/api/v1/townships")]
# A unit's queue: across townships for a county token, a township token's own township only, the unit's own handler.
UNIT_QUEUE = [op for op in OPERATIONS if (op.service, op.method, op.path) == ("issues", "GET", "/api/v1/units/{unit_id}/issues")]
# County-wide: no township in the path (the calendar, the county report), or a scope that can be "county".
COUNTY_CASES = [(op, None) for op in OPERATIONS if not op.tenant_param and op not in ANY_TOKEN_OPS + UNIT_QUEUE] + \
               [(op, COUNTY) for op in OPERATIONS if op.tenant_param == "scope"]
HANDLERS = [name for name in TOKEN if "_unit_" in name]  # the responsible units' tokens (role handler)
ISSUE = "/api/v1/townships/{township}/issues/{issue_id}"
# The operations a handler reaches (issues.api.HANDLER_ROUTES); the only ones a handler may take, and no one else.
HANDLER_ONLY = {ISSUE + "/acknowledge", ISSUE + "/return"}
SUPERVISOR_ONLY = {ISSUE + "/extend", ISSUE + "/extension-requests/{request_id}/decision"}
ids = lambda ops: [op.id for op in ops]  # noqa: E731

NO_TOKEN = [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic ZGV2LWNvdW50eS1hZG1pbjo="},
            {"Authorization": "Bearer"}, {"Authorization": "dev-county-admin"}]


@pytest.fixture(scope="module")
def world(services) -> dict:
    """Dacheng's data in every service (made by its clerk), a published Dacheng bulletin; and Xiyang's ids."""
    values = {**seed_visits(services["visits"].url), **seed_issues(services["issues"].url), "period": PERIOD}
    xiyang = {**seed_visits(services["visits"].url, FOREIGN, E2, "x-wang"), **seed_issues(services["issues"].url, FOREIGN, E2)}
    values["xiyang"] = {name: xiyang[name] for name in ("enterprise_id", "official_id", "visit_id", "issue_id")}
    reporting = services["reporting"].url
    deadline = time.monotonic() + 120
    while httpx.get(f"{reporting}/api/v1/reports/{HOME}/{PERIOD}", headers=TOKEN["dacheng_viewer"],
                    timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "reporting never saw Dacheng's visit"
        time.sleep(0.5)
    r = httpx.post(f"{reporting}/api/v1/bulletins/{HOME}/{PERIOD}", headers=TOKEN["dacheng_clerk"], timeout=60)
    assert r.status_code == 201, r.text
    return values


def send(services, world, op: Operation, headers: dict, tenant: Optional[str] = HOME, body="valid") -> httpx.Response:
    if op.service == "issues" and "issue_evidence_id" in world:  # both services name their photos `evidence_id`
        world = {**world, "evidence_id": world["issue_evidence_id"]}
    req = request(op, tenant, world, body)
    kwargs = dict(req.kwargs)
    kwargs["headers"] = {**kwargs.get("headers", {}), **headers}
    return httpx.request(req.method, services[op.service].url + req.url, timeout=60, **kwargs)


def refused(r: httpx.Response, status: int) -> bool:
    expected = UNAUTHORIZED_BODY if status == 401 else FORBIDDEN_BODY
    return r.status_code == status and r.json() == expected and \
        (status != 401 or r.headers.get("www-authenticate") == "Bearer")


def headers_of(r: httpx.Response) -> dict:
    # X-Request-ID: a fresh random id per request (buildingblocks.logs), which tells nothing about the township.
    return {k: v for k, v in r.headers.items() if k not in ("date", "x-request-id")}


def test_the_matrix_covers_every_route():
    """Every route of every app is an operation of its OpenAPI document or one of the public pages; the ten
    endpoints of the hand-written check in tests/integration/test_visits_api.py are among them."""
    listed = {(op.service, op.method, op.path) for op in OPERATIONS + operations(public=True)}
    for service in SERVICES:
        served = routes(service)
        assert served, service
        for method, path in served:
            assert (service, method, path) in listed or path in PUBLIC_PATHS, (service, method, path)
    hand_written = {("GET", "/enterprises"), ("GET", "/visits"), ("GET", "/officials"), ("GET", "/visit-guard"),
                    ("GET", "/settings"), ("GET", "/enterprises/{enterprise_id}"), ("POST", "/officials"),
                    ("POST", "/enterprises"), ("POST", "/visits"), ("POST", "/enterprises/{enterprise_id}/assignments")}
    prefix = "/api/v1/townships/{township}"
    visits = {(op.method, op.path.removeprefix(prefix)) for op in TENANT_OPS if op.service == "visits"}
    assert hand_written <= visits
    assert {op.service for op in TENANT_OPS} == set(SERVICES) and COUNTY_CASES and len(ANY_TOKEN_OPS) == 1
    assert len(UNIT_QUEUE) == 1 and len(HANDLERS) == 3


@pytest.mark.parametrize("service", SERVICES)
def test_health_and_the_openapi_pages_need_no_token_and_show_no_data(services, world, service):
    url = services[service].url
    public = {path for _, path in routes(service)} & PUBLIC_PATHS - {"/docs/oauth2-redirect"}
    assert {"/health", "/openapi.json"} <= public
    for path in sorted(public):
        r = httpx.get(url + path, timeout=30)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
        assert E1 not in r.text and world["visit_id"] not in r.text and world["issue_id"] not in r.text, path


@pytest.mark.parametrize("op", OPERATIONS, ids=ids(OPERATIONS))
def test_without_a_valid_token_every_operation_is_401(services, world, op):
    answers = []
    for tenant in ([HOME, FOREIGN, NOWHERE] if op.tenant_param else [None]):
        for headers in NO_TOKEN:
            r = send(services, world, op, headers, tenant)
            assert refused(r, 401), (tenant, headers, r.status_code, r.text)
            answers.append((r.status_code, r.content, headers_of(r)))
    assert len(set(map(repr, answers))) == 1  # one answer, whatever the township and whatever was sent as a token


@pytest.mark.parametrize("op", TENANT_OPS, ids=ids(TENANT_OPS))
def test_another_townships_token_gets_403_identical_to_a_township_that_does_not_exist(services, world, op):
    for token, theirs in [("xiyang_clerk", HOME), ("dacheng_viewer", FOREIGN), ("dacheng_clerk", FOREIGN)]:
        other = send(services, world, op, TOKEN[token], theirs)
        nowhere = send(services, world, op, TOKEN[token], NOWHERE)
        assert refused(other, 403), (token, theirs, other.status_code, other.text)
        assert (other.status_code, other.content, headers_of(other)) == \
               (nowhere.status_code, nowhere.content, headers_of(nowhere))
        assert HOME not in other.text and E1 not in other.text and world["visit_id"] not in other.text
    if not op.is_write:  # the same request with a token for Dacheng gets through: the refusal is the token's
        for token in ("dacheng_viewer", "county_viewer"):
            r = send(services, world, op, TOKEN[token], HOME)
            assert r.status_code not in (401, 403) and r.status_code < 500, (token, r.status_code, r.text[:300])


@pytest.mark.parametrize("op", WRITE_OPS, ids=ids(WRITE_OPS))
def test_a_viewer_cannot_write(services, world, op):
    tenants = [HOME] if op.tenant_param else [None]
    if op.tenant_param == "scope":
        tenants.append(COUNTY)
    for tenant in tenants:
        for token in ("dacheng_viewer", "county_viewer"):
            r = send(services, world, op, TOKEN[token], tenant)
            assert refused(r, 403), (tenant, token, r.status_code, r.text)


@pytest.mark.parametrize("op,scope", COUNTY_CASES, ids=[f"{op.id} {scope or ''}".strip() for op, scope in COUNTY_CASES])
def test_county_operations_need_a_county_token(services, world, op, scope):
    for token in ("dacheng_clerk", "dacheng_viewer", "xiyang_clerk"):
        r = send(services, world, op, TOKEN[token], scope)
        assert refused(r, 403), (token, r.status_code, r.text)
    if not op.is_write:
        r = send(services, world, op, TOKEN["county_viewer"], scope)
        assert r.status_code not in (401, 403) and r.status_code < 500, (r.status_code, r.text[:300])


@pytest.mark.parametrize("op", ANY_TOKEN_OPS, ids=ids(ANY_TOKEN_OPS))
def test_the_operations_open_to_any_token_answer_every_token_alike(services, world, op):
    answers = set()
    for token in (t for t in TOKEN if t not in HANDLERS):  # a handler reaches its unit's issues only (below)
        r = send(services, world, op, TOKEN[token], None)
        assert r.status_code == 200, (token, r.status_code, r.text[:300])
        answers.add(r.content)
    assert len(answers) == 1  # nothing in it depends on who asks


NOBODYS = {"enterprise_id": "91350100M0001TGQXM", "official_id": "nobody",
           "visit_id": "v-00000000-0000-0000-0000-000000000000", "issue_id": "i-00000000-0000-0000-0000-000000000000"}
ID_OPS = [op for op in TENANT_OPS if {p["name"] for p in op.params_in("path")} & set(NOBODYS)]


@pytest.mark.parametrize("op", ID_OPS, ids=ids(ID_OPS))
def test_another_townships_ids_through_ones_own_township_are_unknown_like_ids_nobody_has(services, world, op):
    theirs_ids, nobodys_ids = world["xiyang"], NOBODYS
    before = xiyang_data(services, world)
    tokens, expected = ("dacheng_viewer",) if not op.is_write else ("dacheng_clerk", "county_admin"), 404
    if op.path in SUPERVISOR_ONLY:
        tokens = ("county_supervisor", "county_admin")
    if op.path in HANDLER_ONLY:  # the handler learns nothing either: 403 for both (see the handler matrix below)
        tokens, expected = HANDLERS, 403
    for token in tokens:
        theirs = send(services, {**world, **theirs_ids}, op, TOKEN[token], HOME)
        nobodys = send(services, {**world, **nobodys_ids}, op, TOKEN[token], HOME)
        masked = [r.text for r in (theirs, nobodys)]
        for name in NOBODYS:
            masked = [masked[0].replace(theirs_ids[name], "<id>"), masked[1].replace(nobodys_ids[name], "<id>")]
        assert theirs.status_code == nobodys.status_code == expected, (token, theirs.status_code, theirs.text)
        assert masked[0] == masked[1], (token, theirs.text, nobodys.text)
    assert xiyang_data(services, world) == before


def xiyang_data(services, world) -> dict:
    ids_, reads = world["xiyang"], {}
    for service, path in [("visits", f"enterprises/{ids_['enterprise_id']}"), ("visits", f"visits/{ids_['visit_id']}"),
                          ("visits", "officials"), ("issues", f"issues/{ids_['issue_id']}")]:
        r = httpx.get(f"{services[service].url}/api/v1/townships/{FOREIGN}/{path}", headers=TOKEN["county_admin"])
        assert r.status_code == 200, r.text
        reads[(service, path)] = r.json()
    return reads


def snapshot(services, world, service: str) -> dict:
    """What the county admin reads of Dacheng (and of the county) in `service`: what a refused write would change.
    Issues and reports also grow by consuming events, so there only what no consumer touches is compared: the
    seeded issue, the issues raised by a leader (the source of the probes), settings, calendar, bulletins, the
    evaluation's weights."""
    reads: dict = {}
    for op in OPERATIONS:
        if op.service != service or op.is_write:
            continue
        if service == "reporting" and op.path not in ("/api/v1/bulletins/{scope}/{period}", "/api/v1/evaluation/weights"):
            continue
        if service == "issues" and op.path.endswith(("/issues", "/supervision")):
            continue
        if service == "visits" and op.path.startswith("/api/v1/contacts"):
            continue  # the contact counts grow by consuming visits.v1 and issues.v1
        for tenant in ([HOME, COUNTY] if op.tenant_param == "scope" else [HOME]):
            r = send(services, world, op, TOKEN["county_admin"], tenant)
            reads[(op.id, tenant)] = (r.status_code, r.content)
    if service == "issues":
        r = httpx.get(f"{services['issues'].url}/api/v1/townships/{HOME}/issues", headers=TOKEN["county_admin"])
        reads["leader issues"] = [i for i in r.json() if i["source"] == "leader"]
    return reads


@pytest.mark.parametrize("service", SERVICES)
def test_refused_writes_change_nothing(services, world, service):
    before = snapshot(services, world, service)
    seeded = [v for k, v in before.items() if k != "leader issues" and k[1] != COUNTY]
    assert seeded and all(status == 200 for status, _ in seeded), {k: v[0] for k, v in before.items() if k != "leader issues" and v[0] != 200}
    values = {**world, "source": "leader"}
    for op in WRITE_OPS:
        if op.service != service:
            continue
        tenants = [HOME] if op.tenant_param else [None]
        if op.tenant_param == "scope":
            tenants.append(COUNTY)
        for tenant in tenants:
            for headers, status in [({}, 401), ({"Authorization": "Bearer not-a-token"}, 401),
                                    (TOKEN["xiyang_clerk"], 403), (TOKEN["dacheng_viewer"], 403),
                                    (TOKEN["county_viewer"], 403)]:
                r = send(services, values, op, headers, tenant)
                assert refused(r, status), (op.id, tenant, headers, r.status_code, r.text)
    assert snapshot(services, world, service) == before


# Bodies that cannot be parsed: what each media type gets before anything else.
UNPARSABLE = {"application/json": b'{"enterprise_id": ', "multipart/form-data": b"--x\r\nContent-Disposition: form-da"}


@pytest.mark.parametrize("service", SERVICES)
def test_the_token_is_checked_before_the_body_or_the_township_id_is_read(services, world, service):
    """README: no token → 401, another township → 403, whatever else the request holds. What is read before the
    token (an unparsable body, a malformed township id) would answer a client that has not been authenticated."""
    early = []
    for op in OPERATIONS:
        if op.service != service:
            continue
        probes = []
        if op.body_content:
            body = UNPARSABLE.get(op.body_content[0], b"\xff\xfe")
            probes += [("unparsable body, no token", body, HOME, {}, 401),
                       ("unparsable body, Xiyang's token", body, HOME, TOKEN["xiyang_clerk"], 403)]
            if op.body_content[0] == "application/json":  # parsed, but not what the schema asks for
                probes += [("invalid body, no token", b'{"unknown": [1]}', HOME, {}, 401),
                           ("invalid body, Xiyang's token", b'{"unknown": [1]}', HOME, TOKEN["xiyang_clerk"], 403)]
        if op.tenant_param:
            probes += [("malformed township id, no token", "valid", "Not-A-Town", {}, 401)]
        for what, body, tenant, headers, status in probes:
            r = send(services, world, op, headers, tenant, body=body)
            if not refused(r, status):
                early.append(f"{op.method} {request(op, tenant, world).url} ({what}): {r.status_code} {r.text[:90]}")
    assert not early, f"{len(early)} answers before the token was checked (expected 401/403):\n" + "\n".join(early)


# ---- responsible units' tokens (role handler) -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def units_world(services, world) -> dict:
    """Dacheng's units (the county's 县人社局 and 县自然资源局, the town's 人社所), and two issues: A routed to the
    town's 人社所 (dacheng-rss), B to the county's 自然资源局 (c-zrzyj)."""
    url = services["issues"].url + f"/api/v1/townships"
    for township, unit_id, name in [("county", "c-rsj", "县人社局"), ("county", "c-zrzyj", "县自然资源局"),
                                    (HOME, "dacheng-rss", "大程镇人社所")]:
        r = httpx.put(f"{url}/{township}/units/{unit_id}", headers=TOKEN["county_admin"],
                      json={"name": name, "kind": "county_department" if township == "county" else "township_office"})
        assert r.status_code == 200, r.text
    ids = {}
    for label, unit_id in (("a", "dacheng-rss"), ("b", "c-zrzyj")):
        r = httpx.post(f"{url}/{HOME}/issues", headers=TOKEN["dacheng_clerk"], json={
            "enterprise_id": E1, "category": "labour", "description": "缺焊工", "source": "leader", "raised_on": RECENT,
            "unit_id": unit_id})
        assert r.status_code == 201 and r.json()["unit_id"] == unit_id, r.text
        ids[label] = r.json()["issue_id"]
    return ids


HANDLER_OPS = [op for op in OPERATIONS if op.service == "issues" and (
    (op.method == "GET" and op.path == ISSUE) or op in UNIT_QUEUE
    or (op.method == "POST" and op.path in {ISSUE + s for s in ("/acknowledge", "/return", "/progress",
                                                                  "/extension-requests", "/close")}))]


def test_a_handler_reaches_its_units_issues_only():
    assert {(op.method, op.path) for op in HANDLER_OPS} == {
        ("GET", ISSUE), ("GET", "/api/v1/units/{unit_id}/issues"),
        *(("POST", ISSUE + s) for s in ("/acknowledge", "/return", "/progress", "/extension-requests", "/close"))}
    from issues.api import HANDLER_ROUTES
    assert {tuple(r.split(" ", 1)) for r in HANDLER_ROUTES} == {(op.method, op.path) for op in HANDLER_OPS}


@pytest.mark.parametrize("op", HANDLER_OPS, ids=ids(HANDLER_OPS))
def test_a_handler_of_unit_a_gets_on_unit_bs_issue_the_answer_for_an_issue_that_does_not_exist(
        services, world, units_world, op):
    values = {**world, "source": "leader"}
    if op in UNIT_QUEUE:
        for unit_id in ("c-zrzyj", "nobody"):
            r = send(services, {**values, "unit_id": unit_id}, op, TOKEN["dacheng_unit_rss"], None)
            assert refused(r, 403), (unit_id, r.status_code, r.text)
        r = send(services, {**values, "unit_id": "dacheng-rss"}, op, TOKEN["dacheng_unit_rss"], None)
        assert r.status_code == 200 and [i["issue_id"] for i in r.json()] == [units_world["a"]], r.text
        return
    before = httpx.get(f"{services['issues'].url}/api/v1/townships/{HOME}/issues/{units_world['b']}",
                       headers=TOKEN["county_admin"]).json()
    for token in ("dacheng_unit_rss", "county_unit_rsj"):  # neither leads nor co-handles B
        theirs = send(services, {**values, "issue_id": units_world["b"]}, op, TOKEN[token], HOME)
        nobodys = send(services, {**values, **NOBODYS}, op, TOKEN[token], HOME)
        foreign = send(services, {**values, "issue_id": world["xiyang"]["issue_id"]}, op, TOKEN[token], FOREIGN)
        assert refused(theirs, 403), (token, theirs.status_code, theirs.text)
        for other in (nobodys, foreign):
            assert (theirs.status_code, theirs.content, headers_of(theirs)) == \
                   (other.status_code, other.content, headers_of(other))
    after = httpx.get(f"{services['issues'].url}/api/v1/townships/{HOME}/issues/{units_world['b']}",
                      headers=TOKEN["county_admin"]).json()
    assert after == before
    if op.method == "GET":  # B's own unit reads it
        r = send(services, {**values, "issue_id": units_world["b"]}, op, TOKEN["county_unit_zrzyj"], HOME)
        assert r.status_code == 200 and r.json()["unit_id"] == "c-zrzyj", r.text


def test_a_units_queue_shows_a_township_token_its_townships_issues_only(services, world, units_world):
    url = services["issues"].url + "/api/v1/units/dacheng-rss/issues"
    for token, expected in [("county_viewer", [units_world["a"]]), ("dacheng_viewer", [units_world["a"]]),
                            ("xiyang_clerk", []), ("county_unit_rsj", None), ("county_unit_zrzyj", None)]:
        r = httpx.get(url, headers=TOKEN[token], timeout=30)
        if expected is None:
            assert refused(r, 403), (token, r.status_code, r.text)
        else:
            assert r.status_code == 200 and [i["issue_id"] for i in r.json()] == expected, (token, r.text)


# The township registry (ids and Chinese names): a handler reads it too, so its console names the townships it serves.
REGISTRY = [op for op in OPERATIONS if op.service == "visits" and op.method == "GET" and op.path == "/api/v1/townships"]
OTHER_OPS = [op for op in OPERATIONS if op not in HANDLER_OPS and op not in REGISTRY]


def test_a_handler_reads_the_township_registry_and_nothing_else_of_the_visits_service(services, world):
    assert len(REGISTRY) == 1
    for token in HANDLERS:
        r = send(services, world, REGISTRY[0], TOKEN[token], None)
        assert r.status_code == 200 and {t["township"]: t["name"] for t in r.json()}["dacheng"] == "大程镇", r.text


@pytest.mark.parametrize("op", OTHER_OPS, ids=ids(OTHER_OPS))
def test_a_handler_gets_403_on_every_other_operation(services, world, units_world, op):
    values = {**world, "issue_id": units_world["a"], "source": "leader"}  # even on its own unit's issue
    tenants = [HOME, FOREIGN] if op.tenant_param else [None]
    if op.tenant_param == "scope":
        tenants.append(COUNTY)
    for token in HANDLERS:
        for tenant in tenants:
            r = send(services, values, op, TOKEN[token], tenant)
            assert refused(r, 403), (token, tenant, r.status_code, r.text[:200])
