"""Create the topics of CONTRACTS.md (partitions, retention, dead-letter topics) if they are missing.

`python -m buildingblocks.topics [--wait-mongo]` is the topic-init step of the local stack and of compose.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from pymongo import MongoClient

from buildingblocks.kafka import servers
from buildingblocks.settings import TopicSettings
from contracts.topics import EVENT_TOPIC_CONFIG, PARTITIONS, TYPES_BY_TOPIC, dlq_topic

log = logging.getLogger("topics")


def wanted() -> list[NewTopic]:
    """The topics with their replication: `TOPIC_REPLICATION_FACTOR` (default 1, the local single broker) and, when
    set, `TOPIC_MIN_INSYNC_REPLICAS` (a production cluster: 3 and 2, with producers' acks=all)."""
    settings = TopicSettings()
    replicas = settings.topic_replication_factor
    config = dict(EVENT_TOPIC_CONFIG)
    if min_isr := settings.topic_min_insync_replicas:
        config["min.insync.replicas"] = str(min_isr)
    topics = []
    for topic in TYPES_BY_TOPIC:
        topics.append(NewTopic(topic, PARTITIONS, replicas, topic_configs=dict(config)))
        # Dead letters are kept forever too: each is a message somebody must fix or drop by hand.
        topics.append(NewTopic(dlq_topic(topic), 1, replicas, topic_configs=dict(config)))
    return topics


async def ensure_topics(bootstrap: str, timeout_s: float = 60.0) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=servers(bootstrap), request_timeout_ms=10000)
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            await admin.close()
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted() if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another init step won the race
        return [t.name for t in missing]
    finally:
        await admin.close()


def wait_mongo(uri: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            MongoClient(uri, serverSelectionTimeoutMS=500).admin.command("ping")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wait-mongo", action="store_true", help="also wait until MONGODB_URI answers a ping")
    args = parser.parse_args()
    settings = TopicSettings()
    bootstrap = settings.kafka_bootstrap_servers
    created = asyncio.run(ensure_topics(bootstrap))
    print(f"topics: created {created or 'none'} on {bootstrap}")
    if args.wait_mongo:
        wait_mongo(settings.mongodb_uri)


if __name__ == "__main__":
    main()
