"""The evidence routes, the same in every service that owns something evidence is attached to (a visit, an issue):

    POST {owner path}/evidence                      multipart: `file`, `keep_location` (photos: keep GPS on purpose)
    GET  {owner path}/evidence                      the owner's evidence, oldest first
    GET  {owner path}/evidence/{evidence_id}        the stored bytes
    GET  {owner path}/evidence/{evidence_id}/thumbnail   a photo's JPEG thumbnail

Each service says how its owner is found (`find_owner`: the owner's enterprise, or None for 404), the event type it
publishes and on which topic; the rules are `buildingblocks.evidence`, the storage `buildingblocks.evidence_store`.
(No `from __future__ import annotations` here: FastAPI must see the route-local dependency types themselves.)"""

import inspect
from dataclasses import dataclass
from typing import Annotated, Any, Awaitable, Callable, Optional

from fastapi import APIRouter, Depends, File, Form, Header, Path, Request, UploadFile

from buildingblocks import evidence
from buildingblocks.auth import Principal, Role, township_access
from buildingblocks.errors import Invalid, NotFound
from buildingblocks.evidence_store import EvidenceStore, download, evidence_id_for
from contracts.envelope import new_event
from contracts.events import EvidenceAttached


@dataclass(frozen=True)
class Owner:
    enterprise_id: Optional[str]
    extra: dict[str, Any]  # kept on the record, e.g. the status when its evidence was attached


FindOwner = Callable[[Request, str, str], Awaitable[Optional[Owner]]]


def _path_param(name: str, description: str):
    """A dependency that is the path parameter `name` (so the OpenAPI document declares it under its own name)."""

    async def value(**params: str) -> str:
        return params[name]

    value.__signature__ = inspect.Signature([inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[str, Path(description=description)])])
    return value


def evidence_router(
    *,
    base: str,
    owner: str,
    owner_param: str,
    find_owner: FindOwner,
    event: type[EvidenceAttached],
    topic: str,
    source: Callable[[str], str],
    now: Callable[[Request], Any],
) -> APIRouter:
    """`base` is the owner's path with `{township}` and `{<owner_param>}`; `now(request)` the app's clock's now."""
    router = APIRouter(prefix=base + "/evidence", tags=[f"evidence ({owner})"])
    Viewer = Annotated[Principal, Depends(township_access(Role.viewer))]
    Clerk = Annotated[Principal, Depends(township_access(Role.clerk))]

    def store(request: Request) -> EvidenceStore:
        return request.app.state.evidence

    Store = Annotated[EvidenceStore, Depends(store)]
    OwnerId = Annotated[str, Depends(_path_param(owner_param, f"the {owner}"))]

    async def owned(request: Request, township: str, owner_id: str) -> Owner:
        found = await find_owner(request, township, owner_id)
        if found is None:
            raise NotFound(owner, [owner_id])
        return found

    @router.post("", status_code=201, summary=f"Attach a photo or file to the {owner} (multipart: file, keep_location)")
    async def attach(
        request: Request,
        township: str,
        owner_id: OwnerId,
        who: Clerk,
        files: Store,
        file: Annotated[UploadFile, File(description="JPEG, PNG, WebP, PDF, DOCX or XLSX; at most 20 MB")],
        keep_location: Annotated[bool, Form(description="a photo keeps its GPS location (stripped otherwise)")] = False,
        key: Annotated[Optional[str], Header(alias="Idempotency-Key", max_length=200)] = None,
    ):
        found = await owned(request, township, owner_id)
        if not found.enterprise_id:
            raise Invalid(owner_param, f"this {owner} names no enterprise, so no evidence can be published for it")
        prepared = await evidence.received(file, keep_location)
        evidence_id = evidence_id_for(township, owner, owner_id, key)
        at = now(request)
        payload = event(
            evidence_id=evidence_id, enterprise_id=found.enterprise_id, owner=owner, owner_id=owner_id,
            name=prepared.name, content_type=prepared.kind.content_type, size=prepared.size, sha256=prepared.sha256,
        )
        happened = [new_event(payload, township=township, source=source(township), time=at)]
        return await files.add(
            township=township, owner=owner, owner_id=owner_id, enterprise_id=found.enterprise_id,
            evidence_id=evidence_id, prepared=prepared, keep_location=keep_location, attached_at=at,
            attached_by=who.name, happened=happened, topic=topic, extra=found.extra,
        )

    @router.get("", summary=f"The {owner}'s evidence, oldest first")
    async def listed(request: Request, township: str, owner_id: OwnerId, _: Viewer, files: Store):
        await owned(request, township, owner_id)
        return await files.of(township, owner, owner_id)

    async def served(township: str, owner_id: str, evidence_id: str, files: EvidenceStore, thumbnail: bool):
        record = await files.one(township, owner, owner_id, evidence_id)
        if record is None or (thumbnail and not record.get("thumbnail")):
            raise NotFound("thumbnail of evidence" if record else "evidence", [evidence_id])
        stream = await files.open(township, owner, owner_id, evidence_id, thumbnail=thumbnail)
        if stream is None:
            raise NotFound("stored bytes of evidence", [evidence_id])
        return download(record, stream, thumbnail=thumbnail)

    @router.get("/{evidence_id}", summary="The stored bytes (their sha256 in ETag and Repr-Digest)",
                response_description="the file")
    async def content(township: str, owner_id: OwnerId, evidence_id: str, _: Viewer, files: Store):
        return await served(township, owner_id, evidence_id, files, thumbnail=False)

    @router.get("/{evidence_id}/thumbnail", summary="A photo's thumbnail (JPEG, at most 320 px)")
    async def thumbnail(township: str, owner_id: OwnerId, evidence_id: str, _: Viewer, files: Store):
        return await served(township, owner_id, evidence_id, files, thumbnail=True)

    return router
