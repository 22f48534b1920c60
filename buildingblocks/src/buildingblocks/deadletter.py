"""Dead letters: a message a consumer cannot accept goes to `<topic>.dlq` with why, and the consumer carries on."""
from __future__ import annotations

from datetime import datetime, timezone

from aiokafka.structs import ConsumerRecord
from faststream.kafka import KafkaBroker

from contracts.topics import dlq_topic

# Header names on a dead letter; the value is the original bytes and the original headers are kept beside these.
REASON = "dlq-reason"
DETAIL = "dlq-detail"
TOPIC = "dlq-original-topic"
PARTITION = "dlq-original-partition"
OFFSET = "dlq-original-offset"
GROUP = "dlq-consumer-group"
TIME = "dlq-time"


class DeadLetters:
    def __init__(self, broker: KafkaBroker, group: str):
        self.broker = broker
        self.group = group
        self.counts: dict[str, int] = {}  # reason → dead letters sent by this process (the metrics read it)

    async def send(self, record: ConsumerRecord, reason: str, detail: str) -> None:
        headers = {k: v.decode("utf-8", "backslashreplace") for k, v in (record.headers or ())}
        headers.update({
            REASON: reason,
            DETAIL: detail[:2000],
            TOPIC: record.topic,
            PARTITION: str(record.partition),
            OFFSET: str(record.offset),
            GROUP: self.group,
            TIME: datetime.now(timezone.utc).isoformat(),
        })
        # Awaited: the source offset is committed only once the broker holds the dead letter.
        await self.broker.publish(record.value or b"", dlq_topic(record.topic), key=record.key, headers=headers)
        self.counts[reason] = self.counts.get(reason, 0) + 1
