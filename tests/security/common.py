"""What the security tests share: the three apps and their OpenAPI documents (built in this process, no server
needed), the operations derived from them, the fixed refusals of buildingblocks.auth, and plausible requests."""
from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional
from urllib.parse import quote

from fastapi import FastAPI
from jsonschema import Draft202012Validator
from starlette.routing import Match

from buildingblocks import docs
from buildingblocks.auth import FORBIDDEN, UNAUTHORIZED
from tests.support.apps import DEV_TOKENS
from buildingblocks.clock import clock

SERVICES = ("visits", "issues", "reporting")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Routes that answer without a token (README, Development tokens: /health, /metrics, /openapi.json and the
# documentation pages, which only render /openapi.json with the files of buildingblocks.docs; /livez is the no-I/O
# liveness probe of buildingblocks.service; /metrics, /livez and the AsyncAPI document of buildingblocks.asyncapi are
# left out of the OpenAPI document). Any other route must be in the OpenAPI document, where the tenancy matrix finds it.
PUBLIC_PATHS = {"/health", "/livez", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
                "/asyncapi", "/asyncapi.yaml", *(f"{docs.PREFIX}/{name}" for name in docs.FILES)}
# The path parameters naming whose data it is: a township id (visits, issues, reports) or a bulletin/scorecard/ledger
# scope (a township id or "county", reporting).
TENANT_PARAMS = ("township", "scope")
COUNTY = "county"

HOME, FOREIGN, NOWHERE = "dacheng", "xiyang", "nosuchtown"  # the data's township, the other township's, no township
# The only answers a refused request gets (buildingblocks/auth.py): they say nothing about the township asked for.
UNAUTHORIZED_BODY = {"detail": UNAUTHORIZED.detail}
FORBIDDEN_BODY = {"detail": FORBIDDEN.detail}

E1 = "91330782MA2ABCD13A"  # a valid USCC (the one tests/integration uses)
TODAY = clock.today()
RECENT = (TODAY - timedelta(days=2)).isoformat()
PERIOD = f"{TODAY.year}-Q{(TODAY.month - 1) // 3 + 1}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


TOKEN = {name: bearer(token) for name, token in DEV_TOKENS.items()}


@functools.cache
def app(service: str) -> FastAPI:
    """The service's app as `make up` builds it (its Mongo client and broker are created, not connected)."""
    return importlib.import_module(f"{service}.app").create_app()


@functools.cache
def openapi(service: str) -> dict:
    return app(service).openapi()


def routes(service: str) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, hidden from the OpenAPI document or not."""
    try:  # FastAPI ≥ 0.165 keeps included routers as lazily expanded entries of app.routes
        from fastapi.routing import iter_route_contexts
        found = [(rc.methods, rc.path) for rc in iter_route_contexts(app(service).routes)]
    except ImportError:
        found = [(getattr(r, "methods", None), getattr(r, "path", None)) for r in app(service).routes]
    return {(m, path) for methods, path in found for m in (methods or {"GET"}) if m != "HEAD"}


def route_is_unknown(service: str, method: str, path: str) -> bool:
    """No route of the service matches this (decoded) path, whatever the method."""
    scope = {"type": "http", "path": path, "method": method.upper(), "root_path": ""}
    return all(route.matches(scope)[0] is Match.NONE for route in app(service).router.routes)


def resolve(schema: dict, doc: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str

    @property
    def id(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    @property
    def spec(self) -> dict:
        return openapi(self.service)["paths"][self.path][self.method.lower()]

    @property
    def parameters(self) -> list[dict]:
        return self.spec.get("parameters", [])

    def params_in(self, where: str) -> list[dict]:
        return [p for p in self.parameters if p["in"] == where]

    @property
    def tenant_param(self) -> Optional[str]:
        names = {p["name"] for p in self.params_in("path")}
        return next((n for n in TENANT_PARAMS if n in names), None)

    @property
    def is_write(self) -> bool:
        return self.method in WRITES

    @property
    def body_content(self) -> Optional[tuple[str, dict]]:
        content = self.spec.get("requestBody", {}).get("content", {})
        for media_type, media in content.items():
            return media_type, resolve(media.get("schema", {}), openapi(self.service))
        return None

    def field_names(self) -> set[str]:
        """Every name a refusal could point at: the parameters and the request body's properties, at any depth."""
        names = {p["name"] for p in self.parameters}
        doc = openapi(self.service)
        seen: set[int] = set()

        def walk(schema: Any) -> None:
            if isinstance(schema, dict):
                if id(schema) in seen:
                    return
                seen.add(id(schema))
                schema = resolve(schema, doc)
                names.update(schema.get("properties", {}))
                for value in schema.values():
                    walk(value)
            elif isinstance(schema, list):
                for value in schema:
                    walk(value)

        if self.body_content:
            walk(self.body_content[1])
        return names


def operations(*, public: bool = False) -> list[Operation]:
    """Every operation of the three OpenAPI documents (a new endpoint is in the list as soon as it is routed)."""
    found = []
    for service in SERVICES:
        for path, methods in openapi(service)["paths"].items():
            if (path in PUBLIC_PATHS) is not public:
                continue
            for method in methods:
                found.append(Operation(service, method.upper(), path))
    return found


# ---- plausible requests -------------------------------------------------------------------------------------------

# Values for names whose schema alone does not say what a plausible value is (patterns, ids of the seeded data).
# A path or body field with a pattern not listed here fails loudly in `example` rather than sending a guess.
VALUES: dict[str, Any] = {
    "enterprise_id": E1,
    "official_id": "c-li",
    "visitor_ids": ["c-li"],
    "enterprise_ids": [E1],  # a campaign's scope
    "invited_ids": ["c-li"],
    "period": PERIOD,
    "year": TODAY.year + 1,
    "unit_id": "dacheng-rss",
    "month": TODAY.isoformat()[:7],  # the contact budget's county view
}


def example(schema: dict, doc: dict, name: Optional[str] = None, values: Optional[dict] = None) -> Any:
    """One value valid for `schema` (required properties only), deterministic, with known values by field name."""
    values = {**VALUES, **(values or {})}
    schema = resolve(schema, doc)
    if name in values:
        return values[name]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if resolve(s, doc).get("type") != "null"] or schema[key]
            return example(options[0], doc, name, values)
    if "allOf" in schema:
        return example(schema["allOf"][0], doc, name, values)
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {key: example(props[key], doc, key, values) for key in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {}), doc, name, values) for _ in range(schema.get("minItems", 0))]
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        low, high = schema.get("minimum", 1), schema.get("maximum", 10**6)
        return max(low, min(high, 1)) if kind == "number" else int(max(low, min(high, 1)))
    if kind == "string":
        if schema.get("format") == "date":
            return RECENT
        if schema.get("format") == "date-time":
            return f"{RECENT}T09:00:00+08:00"
        if "pattern" in schema:
            raise LookupError(f"no plausible value for {name!r} (pattern {schema['pattern']}): add one to VALUES")
        return "安全测试"[: schema.get("maxLength", 4)].ljust(schema.get("minLength", 0), "x")
    raise LookupError(f"no plausible value for {name!r}: {schema}")


CSV = ("序号,统一社会信用代码,企业名称,企业类别,纳入日期,所在园区,包抓领导\n"
       f"1,{E1},安全测试企业,规上工业,{RECENT},,\n").encode("utf-8-sig")


@dataclass
class Request:
    method: str
    url: str
    kwargs: dict


def request(op: Operation, tenant: Optional[str] = HOME, values: Optional[dict] = None, body: Any = "valid") -> Request:
    """A plausible request for `op`: path parameters filled (the tenant parameter with `tenant`), required query
    parameters given, and a body valid according to the schema (`body=` sends these bytes instead)."""
    doc = openapi(op.service)
    values = dict(values or {})
    if op.tenant_param and tenant is not None:
        values[op.tenant_param] = tenant
    path = op.path
    for p in op.params_in("path"):
        value = example(p["schema"], doc, p["name"], values)
        pattern = p["schema"].get("pattern")
        assert pattern is None or op.tenant_param == p["name"] or re.search(pattern, str(value)), (op.id, p["name"])
        path = path.replace("{" + p["name"] + "}", quote(str(value), safe=""))
    kwargs: dict[str, Any] = {}
    query = {p["name"]: example(p["schema"], doc, p["name"], values)
             for p in op.params_in("query") if p.get("required")}
    if query:
        kwargs["params"] = query
    if op.body_content and body == "valid":
        media_type, schema = op.body_content
        if media_type == "multipart/form-data":
            props = schema.get("properties", {})
            files = {k: ("安全测试.csv", CSV, "text/csv") for k, s in props.items()
                     if s.get("contentMediaType") or s.get("format") == "binary"}
            data = {k: str(example(props[k], doc, k, values)) for k in schema.get("required", []) if k not in files}
            kwargs.update(files=files, data=data)
        else:
            value = example(schema, doc, None, values)
            validator = Draft202012Validator({**schema, "components": doc.get("components", {})})
            errors = [e.message for e in validator.iter_errors(value)]
            assert not errors, f"{op.id}: the generated body {value} is not valid: {errors}"
            kwargs["json"] = value
    elif body != "valid" and body is not None:
        kwargs["content"] = body
        kwargs["headers"] = {"Content-Type": op.body_content[0] if op.body_content else "application/json"}
    return Request(op.method, path, kwargs)


# ---- the data the tests look for, made by each township's clerk ----------------------------------------------------

E2 = "91110000600037341L"  # Xiyang's enterprise (a valid USCC too)


def seed_visits(url: str, township: str = HOME, enterprise_id: str = E1, official_id: str = "c-li") -> dict[str, str]:
    """An official, an enterprise assigned to it and a visit with a demand, made by the township's clerk; their ids."""
    import httpx

    t = f"{url}/api/v1/townships/{township}"
    clerk = TOKEN[f"{township}_clerk"]
    r = httpx.post(f"{t}/officials", json={"official_id": official_id, "name": "李县长", "rank": "county"}, headers=clerk)
    assert r.status_code == 201, r.text
    r = httpx.post(f"{t}/enterprises", headers=clerk, json={"enterprise_id": enterprise_id, "name": "机械厂",
                   "category": "industry", "registered_on": RECENT, "assigned_official_ids": [official_id]})
    assert r.status_code == 201, r.text
    r = httpx.post(f"{t}/visits", headers=clerk, json={
        "enterprise_id": enterprise_id, "visited_on": RECENT, "visitor_ids": [official_id], "channel": "in_person",
        "kind": "routine", "services": ["policy"], "summary": "了解用工", "demands": [{"category": "labour", "description": "缺焊工"}]})
    assert r.status_code == 201, r.text
    visit_id = r.json()["visit_id"]
    # A plan, a campaign and a photo of the visit, so their reads have something to show (and to leave unchanged).
    later = (TODAY + timedelta(days=60)).isoformat()
    r = httpx.post(f"{t}/plans", headers=clerk, json={"enterprise_id": enterprise_id, "planned_on": later,
                                                      "lead_id": official_id, "purpose": "回访用工"})
    assert r.status_code == 201, r.text
    plan_id = r.json()["plan_id"]
    r = httpx.post(f"{t}/officials", json={"official_id": f"{official_id}-host", "name": "赵镇长", "rank": "township"},
                   headers=clerk)
    assert r.status_code == 201, r.text
    r = httpx.post(f"{t}/campaigns", headers=clerk, json={
        "name": "企业走访日", "days": [(TODAY + timedelta(days=90)).isoformat()], "enterprise_ids": [enterprise_id],
        "invited_ids": [official_id], "host_id": f"{official_id}-host"})
    assert r.status_code == 201, r.text
    campaign_id = r.json()["campaign_id"]
    r = httpx.put(f"{t}/enterprises/{enterprise_id}/location", headers=clerk, json={"lat": 30.12, "lng": 120.34})
    assert r.status_code in (200, 201), r.text
    return {"enterprise_id": enterprise_id, "official_id": official_id, "visit_id": visit_id, "plan_id": plan_id,
            "campaign_id": campaign_id, "evidence_id": attach_photo(f"{t}/visits/{visit_id}", clerk)}


def attach_photo(owner_url: str, clerk: dict) -> str:
    """A small PNG attached to a visit or an issue; its evidence id."""
    import io

    import httpx
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(png, format="PNG")
    r = httpx.post(f"{owner_url}/evidence", headers=clerk, files={"file": ("photo.png", png.getvalue(), "image/png")})
    assert r.status_code == 201, r.text
    return r.json()["evidence_id"]


def seed_issues(url: str, township: str = HOME, enterprise_id: str = E1) -> dict[str, str]:
    """An open issue raised by the township's clerk; its id."""
    import httpx

    r = httpx.post(f"{url}/api/v1/townships/{township}/issues", headers=TOKEN[f"{township}_clerk"], json={
        "enterprise_id": enterprise_id, "category": "labour", "description": "缺焊工", "source": "leader", "raised_on": RECENT})
    assert r.status_code == 201, r.text
    issue_id = r.json()["issue_id"]
    evidence = attach_photo(f"{url}/api/v1/townships/{township}/issues/{issue_id}", TOKEN[f"{township}_clerk"])
    return {"issue_id": issue_id, "issue_evidence_id": evidence}
