"""The Kafka wiring: one FastStream broker per service, explicit about delivery guarantees."""
from __future__ import annotations

import logging

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from buildingblocks.settings import Settings

# FastStream's Kafka default is ACK_FIRST (auto-commit: at-most-once). Everything here commits after the work,
# and on an error seeks back so the batch is delivered again.
AT_LEAST_ONCE = AckPolicy.NACK_ON_ERROR


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
