"""The Kafka wiring: one FastStream broker per service, explicit about delivery guarantees, and its subscribers
and publishers declared with the contract's models, so that FastStream's AsyncAPI document shows them."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import SkipValidation

from buildingblocks import deadletter
from buildingblocks.settings import Settings
from contracts.schema import topic_event
from contracts.topics import dlq_topic

# FastStream's Kafka default is ACK_FIRST (auto-commit: at-most-once). Everything here commits after the work,
# and on an error seeks back so the batch is delivered again.
AT_LEAST_ONCE = AckPolicy.NACK_ON_ERROR
DEAD_LETTER_HEADERS = (deadletter.REASON, deadletter.DETAIL, deadletter.TOPIC, deadletter.PARTITION, deadletter.OFFSET,
                       deadletter.GROUP, deadletter.TIME)


def servers(bootstrap: str) -> list[str]:
    """`KAFKA_BOOTSTRAP_SERVERS` as a list: FastStream takes a comma-separated string for one host."""
    return [s.strip() for s in bootstrap.split(",") if s.strip()]


def make_broker(settings: Settings) -> KafkaBroker:
    return KafkaBroker(
        servers(settings.kafka_bootstrap_servers),
        client_id=settings.service,
        acks="all",  # with min.insync.replicas=2 on a cluster, an acknowledged event is on two brokers
        enable_idempotence=True,  # a retried send inside one producer session is not duplicated
        ack_policy=AT_LEAST_ONCE,
        graceful_timeout=15.0,
        logger=logging.getLogger(f"{settings.service}.kafka"),
    )


def batch_subscription(settings: Settings, max_records: int = 500) -> dict:
    """Subscriber options for a projection/intake consumer: batches, committed after the writes, from the start."""
    return dict(
        group_id=settings.consumer_group,
        auto_offset_reset="earliest",
        batch=True,
        max_records=max_records,
        batch_timeout_ms=200,
        ack_policy=AT_LEAST_ONCE,
        decoder=_raw,
    )


async def _raw(msg):  # the value is parsed by contracts.parse, which dead-letters what it cannot read
    return msg.body


def subscribe_batches(broker: KafkaBroker, settings: Settings, topic: str, consume: Callable[[Any], Awaitable[None]],
                      max_records: int = 500) -> None:
    """Batches of `topic` (their aiokafka records) → `consume`, as `batch_subscription` says; declared with the
    topic's events, and beside it the dead-letter topic `consume` writes to."""
    group = settings.consumer_group
    broker.subscriber(topic, **batch_subscription(settings, max_records), title=topic, description=(
        f"Read by {settings.service} in batches (consumer group {group}), offsets committed after its writes; "
        f"a record it cannot accept goes to {dlq_topic(topic)}."))(batch_handler(topic, consume))
    broker.publisher(dlq_topic(topic), title=dlq_topic(topic), schema=bytes, description=(
        f"The records of {topic} that {settings.service} (consumer group {group}) could not accept: key, value and "
        f"headers unchanged, plus the headers {', '.join(DEAD_LETTER_HEADERS)}."))


def publishes(broker: KafkaBroker, settings: Settings, topic: str) -> None:
    """Declare that the service's outbox relay publishes its events to `topic`."""
    broker.publisher(topic, title=topic, schema=topic_event(topic), description=(
        f"Events of {settings.service}, published by its outbox relay once stored: CloudEvents 1.0 in structured "
        "JSON, the Kafka key the enterprise_id, headers content-type, ce_type and ce_id."))


def batch_handler(topic: str, consume: Callable[[Any], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """The subscriber's handler: the raw batch goes to `consume`. FastStream documents a subscriber by its
    handler's first parameter: here one record's event of `topic` (not the batch's list). SkipValidation: the
    records are parsed by `consume`, which dead-letters what it cannot read, so FastStream must not refuse them."""
    async def on_batch(event, msg):
        await consume(msg.raw_message)

    on_batch.__annotations__ = {"event": SkipValidation[topic_event(topic)], "msg": KafkaMessage, "return": None}
    return on_batch
