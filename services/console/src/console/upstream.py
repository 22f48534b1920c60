"""Calls to visits, issues and reporting with the signed-in person's token: the services stay the authority."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

import httpx

log = logging.getLogger("console.upstream")


class ServiceError(Exception):
    """A refusal (4xx) or failure (5xx, unreachable) of a service; `messages.explain` turns it into Chinese."""

    def __init__(self, status: int, body: Any, service: str):
        super().__init__(f"{service} answered {status}")
        self.status, self.body, self.service = status, body, service


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    content: bytes = b""


class Upstream:
    def __init__(self, urls: dict[str, str], timeout_s: float, transport: Optional[httpx.AsyncBaseTransport] = None):
        self.urls = urls
        self.client = httpx.AsyncClient(timeout=timeout_s, transport=transport)

    async def close(self) -> None:
        await self.client.aclose()

    async def call(self, service: str, method: str, path: str, token: str, *, json: Any = None,
                   params: Optional[dict] = None, files: Optional[dict] = None, key: Optional[str] = None,
                   raw: bool = False, data: Optional[dict] = None) -> Reply:
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "", False)}
        try:
            r = await self.client.request(method, self.urls[service] + path, json=json, params=clean, files=files,
                                          data=data, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("%s %s%s unreachable: %s", method, service, path, exc)
            raise ServiceError(503, {"detail": f"{type(exc).__name__}"}, service) from None
        body: Any = None
        if not raw:
            try:
                body = r.json()
            except ValueError:
                body = {"detail": r.text[:500]}
        if r.status_code >= 400:
            if r.status_code >= 500:
                log.error("%s %s%s → %d: %s", method, service, path, r.status_code, r.text[:500])
            raise ServiceError(r.status_code, body if body is not None else {"detail": r.text[:500]}, service)
        return Reply(r.status_code, body, dict(r.headers), r.content if raw else b"")

    async def get(self, service: str, path: str, token: str, **params) -> Any:
        return (await self.call(service, "GET", path, token, params=params)).body

    async def post(self, service: str, path: str, token: str, body: Any = None, key: Optional[str] = None, **params) -> Any:
        return (await self.call(service, "POST", path, token, json=body, key=key, params=params)).body

    async def put(self, service: str, path: str, token: str, body: Any) -> Any:
        return (await self.call(service, "PUT", path, token, json=body)).body
