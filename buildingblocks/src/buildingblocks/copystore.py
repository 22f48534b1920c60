"""Copy every database of one MongoDB-wire store to another, and check that the counts are equal.

    python -m buildingblocks.copystore SOURCE_URI TARGET_URI [--db NAME ...] [--drop-target] [--batch-size N]
    python -m buildingblocks.copystore SOURCE_URI TARGET_URI --verify-only [--db NAME ...]

Every database of the source but admin, local and config (or only the `--db` ones), every collection of
each (not `system.*`, not views): the documents are read as raw BSON and inserted unchanged in batches
(`insert_many(ordered=False)`), then the index definitions are created on the target (the same keys,
name, unique, sparse, expireAfterSeconds, partialFilterExpression). A target collection that already
holds documents is refused before anything is written, unless `--drop-target` drops it first. At the
end each collection's documents are counted on both sides and its indexes compared (name, keys, unique,
sparse), and a table is printed (an index column like `-name(k:1)` / `+name(k:1)`: only on the source /
only on the target). Large collections show their progress on stderr. Stop the writers (the services) first: a
source that changes during the copy gives a mismatch.

Exit status: 0 every count and index equal; 1 some mismatch (the table says where); 2 refused before
copying (a non-empty target collection, an unknown `--db`, a store that does not answer) or a store error
during the copy (then the target holds a part: run again with `--drop-target`).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from typing import Iterable, TextIO

from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import BulkWriteError, PyMongoError

SYSTEM_DATABASES = frozenset({"admin", "local", "config"})
INDEX_OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression")
RAW = CodecOptions(document_class=RawBSONDocument)
PROGRESS_FROM = 10_000  # documents; smaller collections are copied without progress lines


class Refused(Exception):
    """Nothing was copied, for the reason given."""


@dataclass
class Result:
    db: str
    collection: str
    source: int = 0
    target: int = 0
    rejected: int = 0  # documents the target refused during the copy (e.g. a unique index of its own)
    source_indexes: list[str] = field(default_factory=list)  # index_signatures()
    target_indexes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.source == self.target and self.source_indexes == self.target_indexes


def connect(uri: str) -> MongoClient:
    return MongoClient(uri, serverSelectionTimeoutMS=10_000)


def databases(client: MongoClient, only: Iterable[str] | None) -> list[str]:
    present = sorted(n for n in client.list_database_names() if n not in SYSTEM_DATABASES)
    if not only:
        return present
    missing = [n for n in only if n not in present]
    if missing:
        raise Refused(f"no such database on the source: {', '.join(missing)} (it has: {', '.join(present) or 'none'})")
    return list(dict.fromkeys(only))


def collections(db: Database) -> list[str]:
    return sorted(c["name"] for c in db.list_collections()
                  if c.get("type", "collection") == "collection" and not c["name"].startswith("system."))


def index_definitions(db: Database, name: str) -> list[dict]:
    """The collection's indexes but `_id_`, as {"name", "key": [(field, direction)], options...}, by name."""
    out = []
    for index in db[name].list_indexes():
        if index["name"] == "_id_":
            continue
        definition = {"name": index["name"], "key": [(f, _direction(d)) for f, d in index["key"].items()]}
        definition.update({k: index[k] for k in INDEX_OPTIONS if k in index})
        out.append(definition)
    return sorted(out, key=lambda d: d["name"])


def _direction(value):
    """1, -1 or a kind ("hashed", "2dsphere"); some servers answer 1.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def index_signatures(db: Database, name: str) -> list[str]:
    """What is compared: each index's name, keys, unique and sparse flags, as text (for the table)."""
    out = []
    for index in db[name].list_indexes():
        keys = ",".join(f"{f}:{_direction(d)}" for f, d in index["key"].items())
        flags = "".join(f" {k}" for k in ("unique", "sparse") if index.get(k))
        out.append(f"{index['name']}({keys}{flags})")
    return sorted(out)


def plan(source: MongoClient, target: MongoClient, dbs: list[str], drop_target: bool) -> list[tuple[str, str]]:
    """Every (database, collection) to copy; refuse before writing anything if a target one holds documents."""
    pairs = [(d, c) for d in dbs for c in collections(source[d])]
    if not drop_target:
        # only what exists is counted: some servers create a database on a read of it
        existing = {(d, c) for d in set(target.list_database_names()) & set(dbs) for c in target[d].list_collection_names()}
        full = [f"{d}.{c} ({n:,} documents)" for d, c in pairs
                if (d, c) in existing and (n := target[d][c].count_documents({}))]
        if full:
            raise Refused("the target already holds documents in " + ", ".join(full)
                          + "; copy into empty collections, or pass --drop-target to drop them first")
    return pairs


def copy_collection(source: MongoClient, target: MongoClient, db: str, name: str, batch_size: int,
                    drop_target: bool, err: TextIO) -> Result:
    src = source[db].get_collection(name, codec_options=RAW)
    dst = target[db].get_collection(name, codec_options=RAW)
    result = Result(db, name)
    if drop_target:
        dst.drop()
    if name not in target[db].list_collection_names():
        target[db].create_collection(name)
    expected = src.estimated_document_count()
    shown_at = time.monotonic()
    copied = 0
    batch: list[RawBSONDocument] = []

    def flush() -> None:
        nonlocal copied
        try:
            dst.insert_many(batch, ordered=False)
        except BulkWriteError as e:
            result.rejected += len(e.details.get("writeErrors", []))
        copied += len(batch)
        batch.clear()

    for document in src.find({}, batch_size=batch_size):
        batch.append(document)
        if len(batch) >= batch_size:
            flush()
            if expected >= PROGRESS_FROM and time.monotonic() - shown_at >= 2:
                shown_at = time.monotonic()
                print(f"  {db}.{name}: {copied:,} of {expected:,} documents ({100 * copied // max(expected, 1)}%)",
                      file=err, flush=True)
    if batch:
        flush()
    if expected >= PROGRESS_FROM:
        print(f"  {db}.{name}: {copied:,} documents copied", file=err, flush=True)
    for definition in index_definitions(source[db], name):
        options = {k: v for k, v in definition.items() if k != "key"}
        target[db][name].create_index(definition["key"], **options)
    return result


def check(source: MongoClient, target: MongoClient, db: str, name: str, result: Result | None = None) -> Result:
    result = result or Result(db, name)
    result.source = source[db][name].count_documents({})
    result.target = target[db][name].count_documents({})
    result.source_indexes = index_signatures(source[db], name)
    result.target_indexes = index_signatures(target[db], name)
    return result


def table(results: list[Result], out: TextIO) -> None:
    rows = [("database", "collection", "source", "target", "indexes", "")]
    for r in results:
        if r.source_indexes == r.target_indexes:
            indexes = str(len(r.source_indexes))
        else:
            only_source = sorted(set(r.source_indexes) - set(r.target_indexes))
            only_target = sorted(set(r.target_indexes) - set(r.source_indexes))
            indexes = " ".join([f"-{i}" for i in only_source] + [f"+{i}" for i in only_target])
        note = "ok" if r.ok else "MISMATCH" + (f" ({r.rejected} refused by the target)" if r.rejected else "")
        rows.append((r.db, r.collection, f"{r.source:,}", f"{r.target:,}", indexes, note))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.rjust(w) if i in (2, 3) else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip(),
              file=out)


def run(source_uri: str, target_uri: str, only: list[str] | None = None, drop_target: bool = False,
        batch_size: int = 1000, verify_only: bool = False, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    source, target = connect(source_uri), connect(target_uri)
    try:
        source.admin.command("ping")
        target.admin.command("ping")
        dbs = databases(source, only)
        if verify_only:
            pairs = [(d, c) for d in dbs for c in collections(source[d])]
        else:
            pairs = plan(source, target, dbs, drop_target)
        results = []
        for db, name in pairs:
            if not verify_only:
                print(f"copying {db}.{name}", file=err, flush=True)
                result = copy_collection(source, target, db, name, batch_size, drop_target, err)
            else:
                result = None
            results.append(check(source, target, db, name, result))
    except Refused as e:
        print(f"copystore: {e}", file=err)
        return 2
    except PyMongoError as e:
        print(f"copystore: {type(e).__name__}: {e}", file=err)
        return 2
    finally:
        source.close()
        target.close()
    table(results, out)
    bad = [r for r in results if not r.ok]
    total = sum(r.target for r in results)
    if bad:
        print(f"{len(bad)} of {len(results)} collections differ", file=out)
        return 1
    print(f"{len(results)} collections in {len(dbs)} databases, {total:,} documents: counts and indexes equal", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m buildingblocks.copystore",
                                     description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", metavar="SOURCE_URI", help="e.g. mongodb://127.0.0.1:27017/?directConnection=true")
    parser.add_argument("target", metavar="TARGET_URI")
    parser.add_argument("--db", action="append", metavar="NAME", help="copy only this database (repeat)")
    parser.add_argument("--drop-target", action="store_true", help="drop each target collection before copying into it")
    parser.add_argument("--batch-size", type=int, default=1000, help="documents per insert (default 1000)")
    parser.add_argument("--verify-only", action="store_true", help="copy nothing: compare the counts and indexes")
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    return run(args.source, args.target, args.db, args.drop_target, args.batch_size, args.verify_only)


if __name__ == "__main__":
    sys.exit(main())
