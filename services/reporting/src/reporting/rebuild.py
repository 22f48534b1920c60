"""Rebuild the projections from the event log while the current ones keep serving.

  python -m reporting.rebuild            replay into a new generation, then make it active in one step
  python -m reporting.rebuild --drop N   drop generation N (not the active one) once you no longer need it

The new generation is registered as live first, so the running service writes new events into it too;
this command replays the topics from the beginning under the consumer group `<group>.g<N>` and switches
when that group has no lag left. Uses the service's variables (KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI, …).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from typing import Optional

from aiokafka import TopicPartition
from pymongo import AsyncMongoClient

from buildingblocks import mongo
from buildingblocks.progress import Progress
from buildingblocks.topicreader import Offsets, TopicReader
from contracts.envelope import InvalidEvent, parse
from reporting import generations, settings
from reporting.facts import facts_for
from reporting.log import TOPICS, TOPICS_WAIT_S
from reporting.store import Store

log = logging.getLogger("rebuild")
BATCH = 5000


async def replay(bootstrap: str, group: str, store: Store) -> int:
    """Read the topics from the beginning into `store` up to their ends, then to their new ends, until nothing
    more has arrived; returns the records read. The group `group` commits what is written, so its lag shows the
    progress. Reading and validating the next batch overlaps the database's insert of the last one (two cores)."""
    read = 0
    progress = Progress(f"rebuild into {group}", every=50_000)
    async with TopicReader(bootstrap, group=group, max_poll_records=BATCH, fetch_max_bytes=64 * 1024 * 1024) as reader:
        start: Optional[Offsets] = None  # each partition's beginning
        while True:
            ends = await reader.end_offsets(TOPICS, wait_s=TOPICS_WAIT_S)
            if ends == start:
                progress.finish()
                return read
            read += await _replay_to(reader, store, ends, start, progress)
            await reader.commit(ends)  # the group has caught up with this position
            start = ends


async def _replay_to(reader: TopicReader, store: Store, until: Offsets, start: Optional[Offsets], progress: Progress) -> int:
    read = 0
    writing: Optional[tuple[asyncio.Task, Offsets]] = None
    try:
        async for records in reader.read(until, start, max_records=BATCH):
            facts = []
            for record in records:
                try:
                    facts += facts_for(parse(record.value or b""))
                except InvalidEvent:
                    pass  # the live consumer dead-letters it; a rebuild only skips it
            if writing:
                await _finish(reader, *writing)  # commit only what is written, in order
            offsets = {TopicPartition(r.topic, r.partition): r.offset + 1 for r in records}
            writing = (asyncio.create_task(store.add(facts)), offsets)
            read += len(records)
            progress.add(len(records))
        if writing:
            await _finish(reader, *writing)
            writing = None
    finally:
        if writing:
            writing[0].cancel()
    return read


async def _finish(reader: TopicReader, task: asyncio.Task, offsets: Offsets) -> None:
    await task
    await reader.commit(offsets)


async def rebuild(client: AsyncMongoClient, bootstrap: str, base_group: str, db_name: str) -> int:
    db = client[db_name]
    current = await generations.state(db)
    new = max(current["live"]) + 1
    await generations.drop(db, new)  # the leftovers of an earlier attempt, if any
    store = Store(db, generations.prefix(new))
    await store.ensure_indexes()
    await generations.set_state(db, current["active"], [*current["live"], new])
    read = await replay(bootstrap, f"{base_group}.g{new}", store)
    await generations.set_state(db, new, [*current["live"], new])
    log.warning("generation %d built from %d records and active; generation %s still live until dropped",
                new, read, current["active"])
    return new


async def drop(client: AsyncMongoClient, db_name: str, generation: int) -> None:
    db = client[db_name]
    current = await generations.state(db)
    if generation == current["active"]:
        raise SystemExit(f"generation {generation} is active: rebuild first, then drop the old one")
    await generations.set_state(db, current["active"], [g for g in current["live"] if g != generation])
    await generations.drop(db, generation)


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drop", type=int, metavar="N", help="drop generation N instead of rebuilding")
    args = parser.parse_args(argv)
    s = settings.load()
    client = mongo.connect(s)
    try:
        if args.drop:
            await drop(client, s.mongodb_db, args.drop)
            print(f"dropped generation {args.drop}")
        else:
            print(f"generation {await rebuild(client, s.kafka_bootstrap_servers, s.consumer_group, s.mongodb_db)} is active")
    finally:
        await client.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(sys.argv[1:]))
