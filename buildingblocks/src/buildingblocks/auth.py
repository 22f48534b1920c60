"""Bearer tokens scoped to one township or to the county, with a role; only their SHA-256 is stored.

A token file (AUTH_TOKENS_FILE, JSON) maps sha256(token) → {"name", "scope", "role"} and, optionally,
"official_id" (the official of the visits registry the token belongs to); scope is a township id or "county".
`python -m buildingblocks.auth new --scope dacheng --role clerk --name 张三 [--official t-zhang-san]` makes a token
and prints the line to add. Refusals say nothing about the township asked for.
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
from typing import Annotated, Callable, Optional

from fastapi import Depends, HTTPException, Path as PathParam, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from contracts.types import TOWNSHIP_PATTERN

COUNTY = "county"
DEV_TOKENS = Path(__file__).with_name("dev_tokens.json")


class Role(IntEnum):
    viewer = 1
    clerk = 2
    admin = 3


class Principal(BaseModel):
    name: str
    scope: str  # a township id, or "county"
    role: Role
    official_id: Optional[str] = None  # the official (visits registry id) this token belongs to, if it names one

    def may(self, township: Optional[str], role: Role) -> bool:
        in_scope = self.scope == COUNTY or (township is not None and self.scope == township)
        return in_scope and self.role >= role


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, by_digest: dict[str, Principal]):
        self._by_digest = by_digest

    @classmethod
    def from_file(cls, path: Path) -> "TokenStore":
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls({d: Principal(name=p["name"], scope=p["scope"], role=Role[p["role"]], official_id=p.get("official_id"))
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


# Where a path names the township (or "county") it is about: /api/v1/townships/{t}/… and the reporting
# service's /api/v1/{reports,bulletins,scorecards,ledger}/{scope}/….
_SCOPED = re.compile(r"^/api/v1/(?:townships|reports|bulletins|scorecards|ledger)/([^/]+)(?:/|$)")
_COUNTY_ONLY = re.compile(r"^/api/v1/calendar(?:/|$)")
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def gate(request: Request) -> Optional[JSONResponse]:
    """Checked before routing (see `install_gate`), so nobody without a token, or with another township's,
    gets as far as having a body parsed: 401/403 come first, with the same fixed bodies as the dependencies.
    Writes need a clerk here; the routes' dependencies still decide the exact role (admin for settings)."""
    path = request.url.path
    if not path.startswith("/api/"):
        return None
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    principal = request.app.state.tokens.principal(token.strip()) if kind.lower() == "bearer" and token.strip() else None
    refusal = UNAUTHORIZED if principal is None else None
    m, county = _SCOPED.match(path), _COUNTY_ONLY.match(path)
    if principal is not None and (m or county):
        township = None if county or m[1] == COUNTY else m[1]
        if not principal.may(township, Role.clerk if request.method in _WRITES else Role.viewer):
            refusal = FORBIDDEN
    if refusal is None:
        return None
    return JSONResponse({"detail": refusal.detail}, refusal.status_code, headers=refusal.headers)


def install_gate(app) -> None:
    @app.middleware("http")
    async def check_token_first(request: Request, call_next):
        return gate(request) or await call_next(request)


def main() -> None:
    parser = argparse.ArgumentParser(description="Make a bearer token and print the line for the token file.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    new = sub.add_parser("new")
    new.add_argument("--scope", required=True, help='a township id, or "county"')
    new.add_argument("--role", required=True, choices=[r.name for r in Role])
    new.add_argument("--name", required=True)
    new.add_argument("--official", help="the official_id (visits registry) of the person the token is for")
    args = parser.parse_args()
    token = secrets.token_urlsafe(32)
    entry = {"name": args.name, "scope": args.scope, "role": args.role}
    if args.official:
        entry["official_id"] = args.official
    print(f"token (give it to {args.name}; it is not stored): {token}")
    print(json.dumps({digest(token): entry}, ensure_ascii=False))


if __name__ == "__main__":
    main()
