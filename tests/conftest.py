"""Shared fixtures. Unit tests need nothing; integration and e2e tests get the real Kafka and MongoDB-wire servers."""
from __future__ import annotations

import asyncio
import os
import uuid
from contextlib import ExitStack

import pytest

from tests.support import servers


@pytest.fixture(scope="session")
def stack():
    """(kafka_bootstrap, mongodb_uri) of real servers with the contract's topics created."""
    with ExitStack() as exits:
        kafka, mongo = servers.resolve(exits)
        from buildingblocks.topics import ensure_topics

        asyncio.run(ensure_topics(kafka))
        os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["MONGODB_URI"] = kafka, mongo
        yield kafka, mongo


@pytest.fixture(scope="session")
def kafka_bootstrap(stack) -> str:
    return stack[0]


@pytest.fixture(scope="session")
def mongo_uri(stack) -> str:
    return stack[1]


@pytest.fixture
def township() -> str:
    """A township of its own per test: tests share the topics, never each other's data."""
    return f"t-{uuid.uuid4().hex[:12]}"
