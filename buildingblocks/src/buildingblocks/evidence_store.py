"""The evidence mapper: a record per file in the service's `evidence` collection (with its event in the same document
write: the outbox), the bytes and the thumbnail in GridFS (bucket `evidence`: `evidence.files`, `evidence.chunks`) in
the same database, so a backup of the service's database has everything.

GridFS is pymongo's AsyncGridFSBucket, checked on mongo-java-server (upload, download, its unique (files_id, n) index,
a duplicate id refused as FileExists with the first file left whole). Order of writes: the bytes, then the record;
a process that dies in between leaves bytes no record names (never listed, never published), and the retry with the
same Idempotency-Key, which names the same evidence id, finishes the job."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, AsyncIterator, Optional, Sequence

from gridfs import AsyncGridFSBucket
from gridfs.errors import FileExists, NoFile
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from buildingblocks import outbox
from buildingblocks.errors import Conflict
from buildingblocks.evidence import Prepared
from contracts.envelope import CloudEvent

EVIDENCE = "evidence"  # the records' collection, and the GridFS bucket's name
HIDDEN = {"_id": 0, outbox.FIELD: 0, outbox.UNSENT: 0, "request_hash": 0, "uploaded_by_key": 0}
_THUMB = "/thumbnail"


def evidence_id_for(township: str, owner: str, owner_id: str, idem: Optional[str]) -> str:
    """A retry with the same Idempotency-Key names the same evidence; without a key every upload is new."""
    return f"ev-{uuid.uuid5(uuid.NAMESPACE_URL, f'{township}/{owner}/{owner_id}/{idem}') if idem else uuid.uuid4()}"


def record_key(township: str, owner: str, owner_id: str, evidence_id: str = "") -> str:
    """`_id` of a record (and of its file in GridFS): an owner's records are one `_id` range."""
    return ":".join((township, owner, owner_id, evidence_id))


def request_hash(prepared: Prepared, keep_location: bool) -> str:
    return f"{prepared.uploaded_sha256}:{prepared.name}:{int(keep_location)}"


class EvidenceStore:
    def __init__(self, db: AsyncDatabase):
        self.db = db
        self.records = db[EVIDENCE]
        self.bucket = AsyncGridFSBucket(db, bucket_name=EVIDENCE)

    async def ensure_indexes(self) -> None:
        """For MongoDB 8 (README "The store"); GridFS makes its own on the first upload."""
        await self.records.create_index([("township", 1), ("owner", 1), ("owner_id", 1), ("attached_at", 1)])

    async def add(
        self,
        *,
        township: str,
        owner: str,
        owner_id: str,
        enterprise_id: str,
        evidence_id: str,
        prepared: Prepared,
        keep_location: bool,
        attached_at: datetime,
        attached_by: Optional[str],
        happened: Sequence[CloudEvent[Any]],
        topic: str,
        extra: Optional[dict[str, Any]] = None,
    ) -> dict[str, Any]:
        """Store the bytes, the thumbnail and the record with its events; a retry of the same upload returns the
        first record, another file under the same Idempotency-Key is a 409."""
        key = record_key(township, owner, owner_id, evidence_id)
        digest = request_hash(prepared, keep_location)
        if (first := await self.records.find_one({"_id": key})) is not None:
            return self._first(first, digest)
        await self._put(key, prepared.data, prepared)
        if prepared.thumbnail is not None:
            await self._put(key + _THUMB, prepared.thumbnail.data, prepared)
        doc = {
            "_id": key,
            "township": township,
            "evidence_id": evidence_id,
            "owner": owner,
            "owner_id": owner_id,
            "enterprise_id": enterprise_id,
            **prepared.fields(),
            **(extra or {}),
            "attached_at": attached_at.isoformat(),
            "attached_by": attached_by,
            "request_hash": digest,
            **outbox.new([outbox.entry(e, topic) for e in happened]),
        }
        try:
            await self.records.insert_one(doc)
        except DuplicateKeyError:  # the same key's request ran beside this one
            return self._first(await self.records.find_one({"_id": key}) or {}, digest)
        outbox.written(EVIDENCE, key, doc[outbox.FIELD])
        return shown(doc)

    @staticmethod
    def _first(first: dict[str, Any], digest: str) -> dict[str, Any]:
        if first.get("request_hash") != digest:
            raise Conflict("this Idempotency-Key was already used for a different file", existing=shown(first))
        return shown(first)

    async def _put(self, file_id: str, data: bytes, prepared: Prepared) -> None:
        metadata = {"sha256": prepared.sha256 if not file_id.endswith(_THUMB) else None, "content_type":
                    prepared.kind.content_type if not file_id.endswith(_THUMB) else "image/jpeg"}
        try:
            await self.bucket.upload_from_stream_with_id(file_id, prepared.name, data, metadata=metadata)
        except FileExists:
            # Left by a request that died after its upload: whole if its files document says the same length.
            found = await self.db[f"{EVIDENCE}.files"].find_one({"_id": file_id})
            if found is not None and found.get("length") == len(data):
                return
            await self._delete_file(file_id)
            await self.bucket.upload_from_stream_with_id(file_id, prepared.name, data, metadata=metadata)

    async def _delete_file(self, file_id: str) -> None:
        try:
            await self.bucket.delete(file_id)
        except NoFile:  # no files document: its chunks are deleted all the same
            pass

    async def of(self, township: str, owner: str, owner_id: str) -> list[dict[str, Any]]:
        """An owner's evidence, oldest first: one `_id` range (what mongo-java-server serves from its index)."""
        prefix = record_key(township, owner, owner_id)
        query = {"_id": {"$gte": prefix, "$lt": prefix[:-1] + ";"}, "township": township, "owner": owner, "owner_id": owner_id}
        return await self.records.find(query, HIDDEN).sort([("attached_at", 1), ("evidence_id", 1)]).to_list()

    async def one(self, township: str, owner: str, owner_id: str, evidence_id: str) -> Optional[dict[str, Any]]:
        return await self.records.find_one({"_id": record_key(township, owner, owner_id, evidence_id)}, HIDDEN)

    async def open(self, township: str, owner: str, owner_id: str, evidence_id: str, thumbnail: bool = False):
        """The stored bytes as a GridFS stream (its `length`), or None."""
        file_id = record_key(township, owner, owner_id, evidence_id) + (_THUMB if thumbnail else "")
        try:
            return await self.bucket.open_download_stream(file_id)
        except NoFile:
            return None


def shown(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in HIDDEN}


async def chunks(stream) -> AsyncIterator[bytes]:
    """A GridFS download, chunk by chunk (a 20 MB file is never held whole)."""
    while piece := await stream.readchunk():
        yield piece


def download(record: dict[str, Any], stream, thumbnail: bool = False):
    """The bytes as served: their own type (never sniffed by the browser), photos inline, documents as downloads,
    the hash in ETag and Repr-Digest so a copy can be checked."""
    import base64
    from urllib.parse import quote

    from fastapi.responses import StreamingResponse

    content_type = "image/jpeg" if thumbnail else record["content_type"]
    inline = thumbnail or content_type.startswith("image/")
    name = record["name"] if not thumbnail else record["name"].rsplit(".", 1)[0] + "-thumbnail.jpg"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    headers = {
        "Content-Length": str(stream.length),
        "Content-Disposition": f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=86400, immutable",
    }
    if not thumbnail:
        headers["ETag"] = f'"{record["sha256"]}"'
        headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(record['sha256'])).decode()}:"
    return StreamingResponse(chunks(stream), media_type=content_type, headers=headers)
