"""The Mongo wiring: one AsyncMongoClient per process. Code must run on MongoDB 8 and FerretDB 1.24 alike."""
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
