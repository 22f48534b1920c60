"""Bearer tokens scoped to one township or to the county, with a role; only their SHA-256 is stored.

A token file (AUTH_TOKENS_FILE, JSON) maps sha256(token) → {"name", "scope", "role"} and, optionally,
"official_id" (the official of the visits registry the token belongs to) and "unit_id" (the responsible unit a
`handler` token works for); scope is a township id or "county".
`python -m buildingblocks.auth new --scope dacheng --role clerk --name 张三 [--official t-zhang-san] [--unit u]`
makes a token and prints the line to add. Refusals say nothing about the township asked for.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Callable, Iterable, Optional

from fastapi import Depends, HTTPException, Path as PathParam, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from contracts.types import TOWNSHIP_PATTERN

COUNTY = "county"
DEV_TOKENS = Path(__file__).with_name("dev_tokens.json")


class Role(IntEnum):
    # A handler (a responsible unit's 经办人) ranks below viewer: it passes no township check, and reaches only the
    # routes that name it (ScopeRules.handler), whose dependencies look at its unit.
    handler = 0
    viewer = 1
    clerk = 2
    supervisor = 3  # 督查: decides extension requests, follows up (回访)
    admin = 4


class Principal(BaseModel):
    name: str
    scope: str  # a township id, or "county"
    role: Role
    official_id: Optional[str] = None  # the official (visits registry id) this token belongs to, if it names one
    unit_id: Optional[str] = None  # the responsible unit a handler works for

    def covers(self, township: Optional[str]) -> bool:
        """The token's scope includes this township (None: the county)."""
        return self.scope == COUNTY or (township is not None and self.scope == township)

    def may(self, township: Optional[str], role: Role) -> bool:
        return self.covers(township) and self.role >= role


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, by_digest: dict[str, Principal]):
        self._by_digest = by_digest

    @classmethod
    def from_file(cls, path: Path) -> "TokenStore":
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls({d: Principal(name=p["name"], scope=p["scope"], role=Role[p["role"]], official_id=p.get("official_id"),
                              unit_id=p.get("unit_id"))
                    for d, p in raw.items()})

    @classmethod
    def from_env(cls) -> "TokenStore":
        return cls.from_file(Path(os.environ.get("AUTH_TOKENS_FILE") or DEV_TOKENS))

    def principal(self, token: str) -> Optional[Principal]:
        return self._by_digest.get(digest(token))


UNAUTHORIZED = HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
FORBIDDEN = HTTPException(403, "this token may not do that here")


def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UNAUTHORIZED
    principal = request.app.state.tokens.principal(token.strip())
    if principal is None:
        raise UNAUTHORIZED
    return principal


def township_access(role: Role) -> Callable[..., Principal]:
    """Dependency for /…/townships/{township}/… routes: the token must cover that township with `role`."""

    def check(
        township: Annotated[str, PathParam(pattern=TOWNSHIP_PATTERN, description="the township id")],
        principal: Annotated[Principal, Depends(authenticate)],
    ) -> Principal:
        if not principal.may(township, role):
            raise FORBIDDEN
        return principal

    return check


def county_access(role: Role) -> Callable[..., Principal]:
    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.may(None, role):
            raise FORBIDDEN
        return principal

    return check


class ScopeRules:
    """What the gate needs to know of one service's paths; each service declares its own (its api module).

    `township`: path templates with one `{…}` segment that names the township a request is about, or "county"
    (e.g. "/api/v1/townships/{township}"): the path itself and everything under it. `county`: path prefixes for
    county tokens only. Any other /api/ path only needs a known token here; its route's dependencies decide."""

    def __init__(self, township: Iterable[str] = (), county: Iterable[str] = (), handler: Iterable[str] = ()):
        self.township = tuple(township)
        self.county = tuple(county)
        self.handler = tuple(handler)
        self._named = [_template(t) for t in self.township]
        self._county_only = [re.compile(f"^{re.escape(prefix)}(?:/|$)") for prefix in self.county]
        self._handler = [_exact(t) for t in self.handler]

    def for_handler(self, method: str, path: str) -> bool:
        """`handler`: "METHOD /path/{with}/{params}" of the routes a handler token may reach (exactly those paths);
        their dependencies decide by the token's unit."""
        return any(m == method and p.match(path) for m, p in self._handler)

    def scope_of(self, path: str) -> tuple[bool, Optional[str]]:
        """(whether `path` is about a township or the county, and which township: None for the county)."""
        if any(p.match(path) for p in self._county_only):
            return True, None
        for pattern in self._named:
            if m := pattern.match(path):
                return True, None if m[1] == COUNTY else m[1]
        return False, None


def _template(template: str) -> re.Pattern:
    parts = re.split(r"\{[^/{}]+\}", template)
    if len(parts) != 2:
        raise ValueError(f"{template!r}: a scope rule names exactly one {{township}} segment")
    return re.compile(f"^{re.escape(parts[0])}([^/]+){re.escape(parts[1])}(?:/|$)")


def _exact(rule: str) -> tuple[str, re.Pattern]:
    method, _, template = rule.partition(" ")
    parts = re.split(r"\{[^/{}]+\}", template)
    return method, re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "$")


_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def gate(request: Request, rules: ScopeRules) -> Optional[JSONResponse]:
    """Checked before routing (see `install_gate`), so nobody without a token, or with another township's,
    gets as far as having a body parsed: 401/403 come first, with the same fixed bodies as the dependencies.
    Writes need a clerk here; the routes' dependencies still decide the exact role (admin for settings)."""
    path = request.url.path
    if not path.startswith("/api/"):
        return None
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    principal = request.app.state.tokens.principal(token.strip()) if kind.lower() == "bearer" and token.strip() else None
    refusal = UNAUTHORIZED if principal is None else None
    scoped, township = rules.scope_of(path)
    if principal is not None and principal.role == Role.handler:
        # A handler reaches only its own routes, in its scope; everything else is the same 403 as for another township.
        if not rules.for_handler(request.method, path) or (scoped and not principal.covers(township)):
            refusal = FORBIDDEN
    elif principal is not None and scoped:
        if not principal.may(township, Role.clerk if request.method in _WRITES else Role.viewer):
            refusal = FORBIDDEN
    if refusal is None:
        return None
    return JSONResponse({"detail": refusal.detail}, refusal.status_code, headers=refusal.headers)


def install_gate(app, rules: ScopeRules) -> None:
    """The gate in front of `app`'s routes, with the service's own scope rules."""
    app.state.scope_rules = rules

    @app.middleware("http")
    async def check_token_first(request: Request, call_next):
        return gate(request, rules) or await call_next(request)


def main() -> None:
    parser = argparse.ArgumentParser(description="Make a bearer token and print the line for the token file.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    new = sub.add_parser("new")
    new.add_argument("--scope", required=True, help='a township id, or "county"')
    new.add_argument("--role", required=True, choices=[r.name for r in Role])
    new.add_argument("--name", required=True)
    new.add_argument("--official", help="the official_id (visits registry) of the person the token is for")
    new.add_argument("--unit", help="the unit_id a handler token works for")
    args = parser.parse_args()
    token = secrets.token_urlsafe(32)
    entry = {"name": args.name, "scope": args.scope, "role": args.role}
    if args.official:
        entry["official_id"] = args.official
    if args.unit:
        entry["unit_id"] = args.unit
    print(f"token (give it to {args.name}; it is not stored): {token}")
    print(json.dumps({digest(token): entry}, ensure_ascii=False))


if __name__ == "__main__":
    main()
