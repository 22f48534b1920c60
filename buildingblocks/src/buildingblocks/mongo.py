"""The Mongo wiring: one AsyncMongoClient per process.

Code must run on MongoDB 8 (production) and on mongo-java-server (the local and test store, infra/store) alike, so
it keeps to what both do: single-document atomic writes (compare-and-set on a version field, `$inc`, `$push`,
conditional upserts), no transactions or sessions, no change streams, no `explain`. mongo-java-server uses only
`_id` and unique indexes, so a lookup on a hot path goes by `_id`; other indexes are created for MongoDB 8
(README, "The store"). Its one wire quirk that mattered, the insert reply's `n` counting rejected duplicates, is
corrected in its launcher (infra/store), so nothing here works around it.
"""
from __future__ import annotations

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from buildingblocks.settings import Settings


def connect(settings: Settings) -> AsyncMongoClient:
    # tz_aware so dates read back compare with the aware datetimes the events carry.
    return AsyncMongoClient(settings.mongodb_uri, tz_aware=True, serverSelectionTimeoutMS=5000)


def database(client: AsyncMongoClient, settings: Settings) -> AsyncDatabase:
    return client[settings.mongodb_db]


async def ping(client: AsyncMongoClient) -> None:
    await client.admin.command("ping")
