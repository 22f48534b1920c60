"""`python -m buildingblocks.copystore` between two real stores of the test's own (mongo-java-server, memory):
every database copied with its documents byte for byte and its indexes, a non-empty target refused, `--db`,
`--drop-target`, and a count mismatch reported with a non-zero exit."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from bson import Binary, Decimal128, Int64
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING, DESCENDING, MongoClient

from tests.support.processes import LOGS, free_port

ROOT = Path(__file__).resolve().parents[2]
STORE_LIBS = ROOT / ".cache" / "infra" / "store"
SOURCE_DBS = ["cs_issues", "cs_visits"]


class StoreProcess:
    """The store's main on a free port, in memory; `store ready` on stdout when it listens."""

    def __init__(self, name: str):
        if not (STORE_LIBS / "store.jar").exists():
            raise RuntimeError(f"the store is not built ({STORE_LIBS}): run infra/stack.sh install")
        self.port = free_port()
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / f"copystore-{name}-{self.port}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", f"{STORE_LIBS}/*", "local.store.Store",
             "--port", str(self.port)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while b"store ready" not in self.log_path.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"store {name} did not start; see {self.log_path}")
            time.sleep(0.2)
        self.client = MongoClient(self.uri, serverSelectionTimeoutMS=10_000)

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def drop_all(self) -> None:
        for name in self.client.list_database_names():
            if name not in ("admin", "local", "config"):
                self.client.drop_database(name)

    def stop(self) -> None:
        if getattr(self, "client", None):
            self.client.close()
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def stores():
    source = StoreProcess("source")
    try:
        target = StoreProcess("target")
    except Exception:
        source.stop()
        raise
    yield source, target
    source.stop()
    target.stop()


@pytest.fixture
def source(stores):
    source, target = stores
    source.drop_all()
    target.drop_all()
    fill(source.client)
    return source


@pytest.fixture
def target(stores, source):
    return stores[1]


def fill(client: MongoClient) -> None:
    """Two databases, four collections (one empty but indexed), every BSON type the services store."""
    visits = client["cs_visits"]
    day = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)
    visits["visits"].insert_many([
        {"_id": f"v{i:05d}", "township": f"t{i % 3}", "n": i, "at": day, "big": Int64(2**40 + i),
         "money": Decimal128(f"{i}.25"), "ratio": i / 7, "tags": ["policy", "warmth"][: i % 3],
         "lead": {"official": f"o{i % 11}", "rank": None}, "raw": Binary(bytes([i % 256]) * 3), "名称": "大程镇"}
        for i in range(2500)
    ])
    visits["visits"].create_index([("township", ASCENDING), ("at", DESCENDING)], name="by_township_at")
    visits["visits"].create_index("n", unique=True, name="n_unique")
    visits["enterprises"].insert_many([{"_id": f"e{i}", **({"platform_id": f"p{i}"} if i % 2 else {})} for i in range(10)])
    visits["enterprises"].create_index("platform_id", sparse=True, unique=True)
    visits.create_collection("outbox_sent")
    visits["outbox_sent"].create_index([("event_id", ASCENDING)], unique=True, name="event_once")
    issues = client["cs_issues"]
    issues["issues"].insert_many([{"_id": f"i{i}", "kind": ["labour", "land"][i % 2], "open": i % 4 != 0} for i in range(30)])
    issues["issues"].create_index([("kind", ASCENDING), ("open", ASCENDING)])


def copystore(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "buildingblocks.copystore", *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def raw_documents(client: MongoClient, db: str, name: str) -> list[bytes]:
    collection = client[db].get_collection(name, codec_options=CodecOptions(document_class=RawBSONDocument))
    return [d.raw for d in collection.find({}).sort("_id", ASCENDING)]


def indexes(client: MongoClient, db: str, name: str) -> dict:
    return {n: {k: v for k, v in i.items() if k in ("key", "unique", "sparse")}
            for n, i in client[db][name].index_information().items()}


def test_every_database_is_copied_with_its_documents_and_indexes(source, target):
    done = copystore(source.uri, target.uri, "--batch-size", "1000")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(n for n in target.client.list_database_names() if n.startswith("cs_")) == SOURCE_DBS
    for db, name, count in [("cs_visits", "visits", 2500), ("cs_visits", "enterprises", 10),
                            ("cs_visits", "outbox_sent", 0), ("cs_issues", "issues", 30)]:
        assert target.client[db][name].count_documents({}) == count, (db, name)
        assert raw_documents(target.client, db, name) == raw_documents(source.client, db, name), (db, name)
        assert indexes(target.client, db, name) == indexes(source.client, db, name), (db, name)
    assert indexes(target.client, "cs_visits", "visits")["n_unique"] == {"key": [("n", 1)], "unique": True}
    assert indexes(target.client, "cs_visits", "enterprises")["platform_id_1"]["sparse"] is True
    table = done.stdout
    assert "MISMATCH" not in table
    assert [line.split()[:4] for line in table.splitlines() if line.startswith("cs_visits  visits")] == [
        ["cs_visits", "visits", "2,500", "2,500"]]
    assert "4 collections in 2 databases, 2,540 documents: counts and indexes equal" in table
    # the target's unique index holds: the copied documents are really indexed there
    with pytest.raises(Exception):
        target.client["cs_visits"]["visits"].insert_one({"_id": "dup", "n": 7})


def test_a_target_holding_documents_is_refused_unless_dropped(source, target):
    target.client["cs_visits"]["enterprises"].insert_one({"_id": "old", "from": "an earlier copy"})
    refused = copystore(source.uri, target.uri)
    assert refused.returncode == 2
    assert "cs_visits.enterprises (1 documents)" in refused.stderr and "--drop-target" in refused.stderr
    assert "cs_issues" not in target.client.list_database_names()  # nothing was written

    done = copystore(source.uri, target.uri, "--drop-target")
    assert done.returncode == 0, done.stdout + done.stderr
    assert target.client["cs_visits"]["enterprises"].find_one({"_id": "old"}) is None
    assert raw_documents(target.client, "cs_visits", "enterprises") == raw_documents(source.client, "cs_visits", "enterprises")


def test_only_the_named_databases_are_copied(source, target):
    done = copystore(source.uri, target.uri, "--db", "cs_issues")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cs_visits" not in target.client.list_database_names()
    assert target.client["cs_issues"]["issues"].count_documents({}) == 30

    unknown = copystore(source.uri, target.uri, "--db", "nope")
    assert unknown.returncode == 2 and "no such database on the source: nope" in unknown.stderr


def test_documents_the_target_refuses_are_a_mismatch_and_a_non_zero_exit(source, target):
    # an empty target collection is accepted, but this one carries a unique index of its own that 28 of
    # the 30 source issues violate (only two kinds): the copy goes on, and the counts tell
    target.client["cs_issues"]["issues"].create_index("kind", unique=True, name="one_per_kind")
    done = copystore(source.uri, target.uri)
    assert done.returncode == 1, done.stdout + done.stderr
    [row] = [line for line in done.stdout.splitlines() if line.startswith("cs_issues")]
    assert row.split()[:4] == ["cs_issues", "issues", "30", "2"]
    assert "MISMATCH (28 refused by the target)" in row and "+one_per_kind(kind:1 unique)" in row
    assert "1 of 4 collections differ" in done.stdout


def test_verify_only_compares_without_copying(source, target):
    assert copystore(source.uri, target.uri).returncode == 0
    target.client["cs_visits"]["visits"].delete_one({"_id": "v00042"})
    target.client["cs_issues"]["issues"].drop_index("kind_1_open_1")
    checked = copystore(source.uri, target.uri, "--verify-only")
    assert checked.returncode == 1
    rows = {tuple(line.split()[:2]): line for line in checked.stdout.splitlines()}
    assert rows[("cs_visits", "visits")].split()[2:4] == ["2,500", "2,499"]
    assert "-kind_1_open_1(kind:1,open:1)" in rows[("cs_issues", "issues")]
    assert rows[("cs_visits", "enterprises")].rstrip().endswith("ok")
    assert target.client["cs_visits"]["visits"].count_documents({}) == 2499  # nothing copied
