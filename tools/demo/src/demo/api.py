"""A thin httpx client over the three services' public HTTP APIs."""
from __future__ import annotations

from typing import Any

import httpx


class ApiError(RuntimeError):
    pass


class Api:
    def __init__(self, visits: str, issues: str, reporting: str, township: str, token: str, viewer_token: str,
                 admin_token: str = "dev-county-admin"):
        self.base = {"visits": visits.rstrip("/"), "issues": issues.rstrip("/"), "reporting": reporting.rstrip("/")}
        self.township = township
        self.auth = {"Authorization": f"Bearer {token}"}
        self.viewer = {"Authorization": f"Bearer {viewer_token}"}
        self.admin = {"Authorization": f"Bearer {admin_token}"}
        self.http = httpx.Client(timeout=30)

    def url(self, service: str, path: str) -> str:
        if service == "reporting":
            return f"{self.base[service]}/api/v1/reports/{self.township}{path}"
        return f"{self.base[service]}/api/v1/townships/{self.township}{path}"

    def get(self, service: str, path: str, ok=(200,), **params) -> httpx.Response:
        headers = self.viewer if service == "reporting" else self.auth
        return self._check(self.http.get(self.url(service, path), headers=headers, params=params), ok)

    def post(self, service: str, path: str, body: Any = None, key: str | None = None, ok=(200, 201), **kw) -> httpx.Response:
        headers = {**self.auth, **({"Idempotency-Key": key} if key else {})}
        return self._check(self.http.post(self.url(service, path), headers=headers, json=body, **kw), ok)

    def put_as_admin(self, path: str, body: Any) -> httpx.Response:
        """A PUT to the issues service as the county admin (units, routing): `path` from /api/v1."""
        return self._check(self.http.put(self.base["issues"] + path, headers=self.admin, json=body), (200,))

    @staticmethod
    def _check(r: httpx.Response, ok) -> httpx.Response:
        if r.status_code not in ok:
            raise ApiError(f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text[:800]}")
        return r

    def close(self) -> None:
        self.http.close()
