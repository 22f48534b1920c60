"""Schemathesis against every operation of the three OpenAPI documents, sent to the services as real processes.

The documents come from the apps built in this process (`<service>.app.create_app().openapi()`), the requests go
to the running services with a valid token: the county admin (anything, any township) and the Dacheng clerk. The
clerk's cases are steered into real data so they reach the handlers: its township, and for about half of them the
id of a seeded enterprise / official / visit / issue and a valid period instead of the generated one.

Checks: no 5xx (`not_a_server_error`), and every 4xx says what was wrong (`names_what_was_wrong`). Each operation
gets the coverage phase's boundary cases (and unexpected methods) plus `SECURITY_EXAMPLES` fuzzed cases, positive
and negative (default 30: the three services take a good minute on two cores; SECURITY_EXAMPLES=300 for a full run,
about seven minutes). A failure prints the curl command that reproduces it.
"""
from __future__ import annotations

import json
import os
import zlib
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from tests.security.common import (
    FORBIDDEN_BODY, HOME, PERIOD, TENANT_PARAMS, TODAY, TOKEN, UNAUTHORIZED_BODY, Operation, openapi, route_is_unknown,
    seed_issues, seed_visits,
)

EXAMPLES = int(os.environ.get("SECURITY_EXAMPLES", "30"))
CONFIG = SchemathesisConfig.from_dict({"generation": {"max-examples": EXAMPLES}})
TOKENS = ["county_admin", "dacheng_clerk"]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
# A 422 whose loc is only ["body"] names the body as a whole when the whole body is what is wrong.
WHOLE_BODY = {"missing", "model_attributes_type", "dict_type", "model_type", "list_type", "json_invalid", "json_type"}


def load(service: str):
    # /health takes no input; it is checked (without a token) in test_tenancy.
    return schemathesis.openapi.from_dict(openapi(service), config=CONFIG).exclude(path="/health")


visits_schema, issues_schema, reporting_schema = load("visits"), load("issues"), load("reporting")


def _fail(why: str, response, body: Any) -> None:
    raise AssertionError(f"{response.status_code} {why}: {json.dumps(body, ensure_ascii=False)[:800]}")


def _names_a_field(response, body: Any, op: Operation | None) -> None:
    """422 / 400: FastAPI's {"detail": [{"loc": [where, field, ...], "msg"}]} (our Invalid has the same shape), the
    import's report {"errors": [{"row", "column", "reason"}]}, or (400) a detail string naming a field or the body."""
    fields = op.field_names() if op else set()
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list) and detail:
        for error in detail:
            loc, msg = error.get("loc"), error.get("msg")
            if not (isinstance(loc, list) and loc and loc[0] in ("body", "path", "query", "header", "cookie")):
                _fail("error without a location", response, body)
            if not (isinstance(msg, str) and msg.strip()):
                _fail("error without a message", response, body)
            if len(loc) == 1 and error.get("type") not in WHOLE_BODY and not any(f in msg for f in fields):
                _fail("error that names no field (loc is only ['body'] and the message names none)", response, body)
        return
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        for error in body["errors"]:
            if not (error.get("column") and error.get("reason") and "row" in error):
                _fail("import error without row, column and reason", response, body)
        return
    if response.status_code == 400 and isinstance(detail, str):
        words = fields | {"body", "multipart"}
        if any(w in detail for w in words):
            return
    _fail("does not name the field", response, body)


def names_what_was_wrong(ctx, response, case) -> None:
    """Every 4xx tells the client what was wrong; 401/403 are the fixed refusals of buildingblocks.auth."""
    status = response.status_code
    if not 400 <= status < 500:
        return None
    service = case.operation.schema.raw_schema["info"]["title"]
    spec = openapi(service)["paths"].get(case.path, {})
    op = Operation(service, case.method.upper(), case.path) if case.method.lower() in spec else None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{status} without a JSON body: {response.content[:300]!r}") from None
    if status == 401:
        if body != UNAUTHORIZED_BODY or response.headers.get("www-authenticate") != ["Bearer"]:
            _fail(f"is not exactly {UNAUTHORIZED_BODY} with WWW-Authenticate: Bearer", response, body)
    elif status == 403:
        if body != FORBIDDEN_BODY:
            _fail(f"is not exactly {FORBIDDEN_BODY}", response, body)
    elif status in (400, 422):
        _names_a_field(response, body, op)
    elif status == 404:
        if isinstance(body, dict) and isinstance(body.get("unknown"), dict) and body["unknown"]:
            return None  # buildingblocks.errors.NotFound: {"detail", "unknown": {what: [ids]}}
        detail = body.get("detail") if isinstance(body, dict) else None
        path = unquote(urlsplit(response.request.url).path)
        if detail == "Not Found":
            if not route_is_unknown(service, case.method, path):
                _fail(f"plain 'Not Found' although {path} is a route", response, body)
            return None
        # A refusal of our own that names what is missing, e.g. "no events of township x yet".
        values = [str(v) for v in case.path_parameters.values() if str(v)]
        if not (isinstance(detail, str) and any(unquote(v) in detail for v in values)):
            _fail("does not say what is unknown", response, body)
    elif status == 405:
        if body != {"detail": "Method Not Allowed"} or not response.headers.get("allow"):
            _fail("without Allow", response, body)
    elif status in (413, 415):  # an evidence file refused (buildingblocks.evidence): the file and the reason
        if not (isinstance(body, dict) and isinstance(body.get("detail"), str) and body.get("file") is not None
                and body.get("reason")):
            _fail("does not name the file and the reason", response, body)
    elif status == 409:
        if not (isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"].strip()):
            _fail("without a detail message", response, body)
    else:
        _fail("is a client error this API does not use", response, body)
    return None


PERIODS = [PERIOD, f"{TODAY.year}-{TODAY.month:02d}", f"{TODAY.year}-H{1 if TODAY.month <= 6 else 2}", str(TODAY.year),
           f"{TODAY.year - 1}-Q1"]


def _pick(options: list, generated: Any) -> Any:
    """One of `options` (the generated value among them), chosen by the generated value: reproducible."""
    return options[zlib.crc32(repr(generated).encode()) % len(options)]


def steer(case, known: dict[str, str]) -> None:
    """The clerk's case in its own township, half the time about seeded data: past the token check, into handlers."""
    params = case.path_parameters or {}
    for name, generated in list(params.items()):
        if name in TENANT_PARAMS:
            params[name] = HOME
        elif name == "period":
            params[name] = _pick(PERIODS + [generated], generated)
        elif name in known:
            params[name] = _pick([known[name], generated], generated)


def exercise(case, service, token: str, known: dict[str, str]) -> None:
    if token == "dacheng_clerk":
        steer(case, known)
    case.call_and_validate(base_url=service.url, headers=TOKEN[token], timeout=60,
                           checks=[not_a_server_error, names_what_was_wrong])


@pytest.fixture(scope="module")
def visits_known(visits_service) -> dict[str, str]:
    return seed_visits(visits_service.url)


@pytest.fixture(scope="module")
def issues_known(issues_service) -> dict[str, str]:
    return seed_issues(issues_service.url)


@pytest.mark.parametrize("token", TOKENS)
@visits_schema.parametrize()
@FUZZ
def test_visits(case, visits_service, visits_known, token):
    exercise(case, visits_service, token, visits_known)


@pytest.mark.parametrize("token", TOKENS)
@issues_schema.parametrize()
@FUZZ
def test_issues(case, issues_service, issues_known, token):
    exercise(case, issues_service, token, issues_known)


@pytest.mark.parametrize("token", TOKENS)
@reporting_schema.parametrize()
@FUZZ
def test_reporting(case, reporting_service, token):
    exercise(case, reporting_service, token, {})


def test_the_schemas_cover_every_operation():
    """Nothing is left out of the fuzzing but /health (no input)."""
    for service, schema in [("visits", visits_schema), ("issues", issues_schema), ("reporting", reporting_schema)]:
        fuzzed = {(r.ok().method.upper(), r.ok().path) for r in schema.get_all_operations()}
        routed = {(m.upper(), p) for p, ops in openapi(service)["paths"].items() for m in ops if p != "/health"}
        assert fuzzed == routed and routed, service

