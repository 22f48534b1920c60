"""Dead letters: see them, fix or drop each, and re-inject the fixed ones.

    python -m buildingblocks.dlq list [TOPIC ...] [--from-offset N] [--all]
    python -m buildingblocks.dlq export --out FILE [TOPIC ...] [--from-offset N]
    python -m buildingblocks.dlq replay FILE [--dry-run] [--force] [--by NAME]

TOPIC is an event topic (`visits.v1`); its dead letters are on `visits.v1.dlq` (one partition, kept forever).
`export` writes one JSON line per pending dead letter with `"action": "replay"`. Edit `value` to fix a message,
or set `"action": "drop"` (and optionally a `"note"`); lines you delete are left alone. `replay` checks each
replayed value with `contracts.parse` first and refuses the line with the reason (it stays pending) unless
`--force`; otherwise it publishes the value to the original topic with the original key and headers plus
`dlq-replayed-from: <dlq>@<offset>`, awaits the broker's ack, and then marks the dead letter handled. Only
`value`/`value_base64`, `action` and `note` are read from an edited line: where a message goes and with
which key and headers comes from the dead letter on the DLQ topic, so an edit cannot send it elsewhere.

Handled = a marker record appended to the same DLQ topic (header `dlq-marker: handled`, value
`{"handled_offset", "action", "by", "at", "note"}`). The DLQ topic is thus its own audit trail; `list` and
`export` skip markers and every dead letter that has one, and `replay` skips lines already handled, so
running the same file twice re-injects nothing.

Not atomic: a crash (or a lost ack) between the publish and the marker leaves the dead letter pending although
its fix was published, and a rerun publishes it once more. The consumers tolerate that: they are idempotent
by natural keys (event ids, visit ids). Two replays of the same dead letter run at the same moment can do the same.

Exit status: 0 done, 1 some lines were refused, 2 bad input (nothing published).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import getpass
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Optional

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from contracts.envelope import InvalidEvent, parse
from contracts.topics import TYPES_BY_TOPIC, dlq_topic

from buildingblocks import deadletter
from buildingblocks.progress import Progress
from buildingblocks.settings import KafkaSettings
from buildingblocks.topicreader import NoSuchTopic, TopicReader

MARKER = "dlq-marker"
HANDLED = "handled"
REPLAYED_FROM = "dlq-replayed-from"
ACTIONS = ("replay", "drop")
DETAIL_WIDTH = 80


# ---------------------------------------------------------------- pure parts: records, markers, lines


@dataclass(frozen=True)
class Record:
    """One record of a DLQ topic (partition 0), independent of aiokafka."""
    dlq: str
    offset: int
    key: Optional[bytes]
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()

    def header(self, name: str) -> Optional[str]:
        for k, v in self.headers:
            if k == name:
                return v.decode("utf-8", "backslashreplace")
        return None

    @property
    def is_marker(self) -> bool:
        return self.header(MARKER) == HANDLED

    @property
    def original_headers(self) -> list[tuple[str, bytes]]:
        """The headers the message had before it was dead-lettered (every `dlq-*` one removed)."""
        return [(k, v) for k, v in self.headers if not k.startswith("dlq-")]


@dataclass(frozen=True)
class Entry:
    """A dead letter and, if it is handled, the marker's content."""
    record: Record
    handled: Optional[dict[str, Any]] = None


def marker_value(handled_offset: int, action: str, by: str, note: Optional[str] = None,
                 at: Optional[datetime] = None) -> bytes:
    at = at or datetime.now(timezone.utc)
    body = {"handled_offset": handled_offset, "action": action, "by": by, "at": at.isoformat(), "note": note}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def marker_headers() -> list[tuple[str, bytes]]:
    return [(MARKER, HANDLED.encode())]


def entries(records: Iterable[Record], include_handled: bool = False) -> list[Entry]:
    """The dead letters among `records` (markers removed), pending only unless `include_handled`."""
    records = list(records)
    handled: dict[int, dict[str, Any]] = {}
    for r in records:
        if r.is_marker:
            try:
                body = json.loads(r.value)
                handled.setdefault(int(body["handled_offset"]), body)  # the first marker wins
            except (ValueError, KeyError, TypeError):
                pass  # a marker nobody can read marks nothing
    out = [Entry(r, handled.get(r.offset)) for r in records if not r.is_marker]
    return out if include_handled else [e for e in out if e.handled is None]


def export_line(record: Record) -> dict[str, Any]:
    try:
        text, b64 = record.value.decode("utf-8"), None
    except UnicodeDecodeError:
        text, b64 = None, base64.b64encode(record.value).decode("ascii")
    partition, offset = record.header(deadletter.PARTITION), record.header(deadletter.OFFSET)
    return {
        "dlq": record.dlq,
        "offset": record.offset,
        "topic": record.header(deadletter.TOPIC),
        "partition": int(partition) if partition and partition.isdigit() else partition,
        "original_offset": int(offset) if offset and offset.isdigit() else offset,
        "key": None if record.key is None else record.key.decode("utf-8", "backslashreplace"),
        "headers": {k: v.decode("utf-8", "backslashreplace") for k, v in record.original_headers},
        "reason": record.header(deadletter.REASON),
        "detail": record.header(deadletter.DETAIL),
        "consumer_group": record.header(deadletter.GROUP),
        "value": text,
        "value_base64": b64,
        "action": "replay",
    }


def shorten(text: Optional[str], width: int = DETAIL_WIDTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def list_line(entry: Entry) -> str:
    r = entry.record
    original = f"{r.header(deadletter.TOPIC)}[{r.header(deadletter.PARTITION)}]@{r.header(deadletter.OFFSET)}"
    key = "-" if r.key is None else r.key.decode("utf-8", "backslashreplace")
    line = (f"{r.dlq}@{r.offset}  {original}  {r.header(deadletter.REASON)}  {shorten(r.header(deadletter.DETAIL))}"
            f"  key={key}  {len(r.value)} B  {r.header(deadletter.TIME)}")
    if entry.handled is not None:
        h = entry.handled
        line += f"  [handled: {h.get('action')} by {h.get('by')} at {h.get('at')}]"
    return line


class BadLine(ValueError):
    """A line of a replay file that cannot be used; says which line and which field."""

    def __init__(self, line: int, field: str, why: str):
        super().__init__(f"line {line}: {field}: {why}")
        self.line, self.field, self.why = line, field, why


@dataclass(frozen=True)
class Line:
    line: int
    dlq: str
    offset: int
    action: str
    value: Optional[bytes] = None  # the (possibly fixed) value to replay; None for a drop
    note: Optional[str] = None


def parse_line(number: int, text: str) -> Line:
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise BadLine(number, "(line)", f"not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadLine(number, "(line)", f"a JSON {type(body).__name__}, not an object")
    for name in ("dlq", "offset", "action"):
        if name not in body:
            raise BadLine(number, name, "missing")
    dlq, offset, action, note = body["dlq"], body["offset"], body["action"], body.get("note")
    if not isinstance(dlq, str) or not dlq.endswith(".dlq"):
        raise BadLine(number, "dlq", f"{dlq!r} is not a dead-letter topic (<topic>.dlq)")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise BadLine(number, "offset", f"{offset!r} is not an offset (an integer ≥ 0)")
    if action not in ACTIONS:
        raise BadLine(number, "action", f"{action!r} is not one of {', '.join(ACTIONS)}")
    if note is not None and not isinstance(note, str):
        raise BadLine(number, "note", "must be text")
    if action == "drop":
        return Line(number, dlq, offset, action, note=note)
    text_value, b64 = body.get("value"), body.get("value_base64")
    if text_value is not None and b64 is not None:
        raise BadLine(number, "value", "both value and value_base64 are set; keep one, set the other to null")
    if text_value is not None:
        if not isinstance(text_value, str):
            raise BadLine(number, "value", "must be text (the message as a JSON string)")
        return Line(number, dlq, offset, action, text_value.encode("utf-8"), note)
    if b64 is not None:
        try:
            return Line(number, dlq, offset, action, base64.b64decode(b64, validate=True), note)
        except (binascii.Error, TypeError, ValueError):
            raise BadLine(number, "value_base64", "not base64") from None
    raise BadLine(number, "value", "missing (neither value nor value_base64 is set)")


def parse_file(text: str) -> list[Line]:
    """Every non-blank line of a replay file; the first bad one raises BadLine, as does a dead letter listed twice."""
    lines, seen = [], {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        line = parse_line(number, raw)
        where = (line.dlq, line.offset)
        if where in seen:
            raise BadLine(number, "offset", f"{line.dlq}@{line.offset} is also on line {seen[where]}")
        seen[where] = number
        lines.append(line)
    return lines


def replay_headers(record: Record) -> list[tuple[str, bytes]]:
    return [*record.original_headers, (REPLAYED_FROM, f"{record.dlq}@{record.offset}".encode())]


def check(value: bytes) -> Optional[InvalidEvent]:
    """None if the consumers would accept the value, else why not."""
    try:
        parse(value)
        return None
    except InvalidEvent as exc:
        return exc


def dlq_names(topics: Iterable[str]) -> list[str]:
    """Event topics (or DLQ topics) → DLQ topic names; none given → every topic of the contract."""
    return [t if t.endswith(".dlq") else dlq_topic(t) for t in (list(topics) or list(TYPES_BY_TOPIC))]


# ---------------------------------------------------------------- Kafka I/O


async def read_dlq(bootstrap: str, dlq: str, from_offset: int = 0, timeout_s: float = 60.0) -> list[Record]:
    """Every record of the DLQ topic from `from_offset` to its end as of now."""
    tp = TopicPartition(dlq, 0)
    async with TopicReader(bootstrap) as reader:
        await reader.partitions([dlq])  # NoSuchTopic, naming it
        ends = await reader.end_offsets([tp])
        progress = Progress(f"reading {dlq}", max(0, ends[tp] - from_offset))
        out: list[Record] = []
        async for batch in reader.read(ends, {tp: from_offset}, timeout_s=timeout_s):
            out.extend(Record(dlq, r.offset, r.key, r.value or b"", tuple(r.headers or ())) for r in batch)
            progress.add(len(batch))
        progress.finish()
        return out


async def pending(bootstrap: str, topics: Iterable[str], from_offset: int = 0,
                  include_handled: bool = False) -> list[Entry]:
    found: list[Entry] = []
    for dlq in dlq_names(topics):
        found.extend(entries(await read_dlq(bootstrap, dlq, from_offset), include_handled))
    return found


async def export(bootstrap: str, out_path: str, topics: Iterable[str], from_offset: int = 0) -> int:
    lines = [json.dumps(export_line(e.record), ensure_ascii=False) for e in await pending(bootstrap, topics, from_offset)]
    with open(out_path, "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in lines)
    return len(lines)


@dataclass
class Summary:
    replayed: int = 0
    dropped: int = 0
    skipped: int = 0
    refused: int = 0

    def __str__(self) -> str:
        return f"replayed {self.replayed}, dropped {self.dropped}, skipped {self.skipped}, refused {self.refused}"


async def replay(bootstrap: str, lines: list[Line], *, by: str, dry_run: bool = False, force: bool = False,
                 say: Callable[[str], None] = print) -> Summary:
    """Apply checked replay-file lines. Everything is looked up before anything is published."""
    records: dict[tuple[str, int], Entry] = {}
    for dlq in sorted({line.dlq for line in lines}):
        first = min(line.offset for line in lines if line.dlq == dlq)
        try:
            found = await read_dlq(bootstrap, dlq, first)
        except NoSuchTopic as exc:
            raise BadLine(next(line.line for line in lines if line.dlq == dlq), "dlq", str(exc)) from None
        records.update({(dlq, e.record.offset): e for e in entries(found, include_handled=True)})
    for line in lines:
        if (line.dlq, line.offset) not in records:
            raise BadLine(line.line, "offset", f"no dead letter at {line.dlq}@{line.offset}")

    summary = Summary()
    producer = None if dry_run else AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    try:
        if producer:
            await producer.start()
        progress = Progress("replay", len(lines), unit="lines", every=1000)
        for line in lines:
            progress.add()
            entry = records[(line.dlq, line.offset)]
            record, where = entry.record, f"line {line.line}: {line.dlq}@{line.offset}"
            if entry.handled is not None:
                summary.skipped += 1
                h = entry.handled
                say(f"{where}: skipped, already handled ({h.get('action')} by {h.get('by')} at {h.get('at')})")
                continue
            if line.action == "drop":
                summary.dropped += 1
                if producer:
                    await producer.send_and_wait(line.dlq, marker_value(line.offset, "dropped", by, line.note),
                                                 headers=marker_headers())
                say(f"{where}: {'would drop' if dry_run else 'dropped'}")
                continue
            problem = check(line.value or b"")
            if problem and not force:
                summary.refused += 1
                say(f"{where}: refused, {problem.reason}: {problem.detail} (left pending; fix the value or use --force)")
                continue
            original = record.header(deadletter.TOPIC) or line.dlq.removesuffix(".dlq")
            summary.replayed += 1
            forced = f" (forced past {problem.reason}: {problem.detail})" if problem else ""
            if not producer:
                say(f"{where}: would replay to {original}{forced}")
                continue
            # Awaited: the dead letter is marked handled only once the broker holds the re-injected message.
            sent = await producer.send_and_wait(original, line.value, key=record.key, headers=replay_headers(record))
            await producer.send_and_wait(line.dlq, marker_value(line.offset, "replayed", by, line.note),
                                         headers=marker_headers())
            say(f"{where}: replayed to {original}[{sent.partition}]@{sent.offset}{forced}")
        progress.finish()
    finally:
        if producer:
            await producer.stop()
    return summary


# ---------------------------------------------------------------- command line


def default_by() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m buildingblocks.dlq", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    bootstrap = dict(help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)")
    parser.add_argument("--bootstrap", default=KafkaSettings().kafka_bootstrap_servers, **bootstrap)
    common = argparse.ArgumentParser(add_help=False)  # --bootstrap also after the subcommand
    common.add_argument("--bootstrap", default=argparse.SUPPRESS, **bootstrap)
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", parents=[common], help="show pending dead letters")
    p_list.add_argument("topics", nargs="*", metavar="TOPIC", help="event topics (default: all)")
    p_list.add_argument("--from-offset", type=int, default=0, help="only DLQ offsets ≥ N")
    p_list.add_argument("--all", action="store_true", help="also show the handled ones, marked")
    p_export = sub.add_parser("export", parents=[common], help="write pending dead letters as JSON Lines to edit")
    p_export.add_argument("topics", nargs="*", metavar="TOPIC", help="event topics (default: all)")
    p_export.add_argument("--out", required=True, help="the file to write")
    p_export.add_argument("--from-offset", type=int, default=0, help="only DLQ offsets ≥ N")
    p_replay = sub.add_parser("replay", parents=[common], help="apply an edited export file: replay or drop each line")
    p_replay.add_argument("file")
    p_replay.add_argument("--dry-run", action="store_true", help="say what would happen; publish and mark nothing")
    p_replay.add_argument("--force", action="store_true", help="replay values that contracts.parse refuses")
    p_replay.add_argument("--by", default=default_by(), help="who handles them, kept in the marker (default: $USER)")
    args = parser.parse_args(argv)

    try:
        if args.command == "list":
            found = asyncio.run(pending(args.bootstrap, args.topics, args.from_offset, args.all))
            for entry in found:
                print(list_line(entry))
            waiting = sum(1 for e in found if e.handled is None)
            print(f"{len(found)} dead letters: {waiting} pending, {len(found) - waiting} handled" if args.all
                  else f"{waiting} pending dead letters")
        elif args.command == "export":
            n = asyncio.run(export(args.bootstrap, args.out, args.topics, args.from_offset))
            print(f"exported {n} pending dead letters to {args.out}")
        else:
            with open(args.file, encoding="utf-8") as f:
                lines = parse_file(f.read())
            summary = asyncio.run(replay(args.bootstrap, lines, by=args.by, dry_run=args.dry_run, force=args.force))
            print(("dry run, nothing published or marked: " if args.dry_run else "") + str(summary))
            return 1 if summary.refused else 0
    except (BadLine, NoSuchTopic, KafkaError, OSError, UnicodeDecodeError) as exc:
        print(f"error: {exc}" + ("; nothing published" if isinstance(exc, BadLine) else ""), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
