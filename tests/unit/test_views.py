"""Kept tallies: served until a projector (of any replica) bumps their township's shared version, never stale,
and the county read from one scan when many townships changed."""
from __future__ import annotations

import asyncio

from reporting.facts import COLLECTIONS, ENTERPRISES, VISITS
from reporting.report import COUNTY, FIGURES, Period, compute, county_report, render, report_for
from reporting.views import Views

Q1 = Period.parse("2026-Q1")


class FakeStore:
    """The projection store in memory; `during_read` runs while a read is in flight (a batch landing)."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.docs = {name: [] for name in COLLECTIONS}
        self.reads: list[str | None] = []
        self.during_read = None
        self.n, self.v = 0, {}  # the shared versions document (store.py)
        self.tallies = {}  # the stored tallies: (township, period) → (version, tally document)
        self.bodies = {}  # the stored county bodies: period → (count, shape, bytes)

    def bump(self, townships) -> None:
        """What Store.add does after its inserts, whichever replica's projector wrote them."""
        self.n += 1
        for t in townships:
            self.v[t] = self.v.get(t, 0) + 1

    async def versions(self):
        await asyncio.sleep(0)
        return self.n, dict(self.v)

    def add(self, township: str, visit_id: str, on: str = "2026-02-01") -> None:
        self.docs[ENTERPRISES].append({"township": township, "enterprise_id": "E", "registered_on": "2026-01-01"})
        self.docs[VISITS].append({"township": township, "visit_id": visit_id, "enterprise_id": "E", "visited_on": on,
                                  "channel": "in_person", "visitors": [{"rank": "county"}]})

    async def kept_tallies(self, townships, period):
        await asyncio.sleep(0)
        return {t: self.tallies[(t, period)] for t in townships if (t, period) in self.tallies}

    async def keep_tallies(self, period, tallies):
        self.tallies.update({(t, period): kept for t, kept in tallies.items()})

    async def kept_body(self, period):
        await asyncio.sleep(0)
        return self.bodies.get(period)

    async def keep_body(self, period, count, shape, body):
        self.bodies[period] = (count, shape, body)

    async def fact_count(self):
        return sum(len(docs) for docs in self.docs.values())

    async def facts(self, township: str | list[str] | None = None):
        self.reads.append(township)
        wanted = None if township is None else set(township) if isinstance(township, list) else {township}
        snapshot = {n: [d for d in docs if wanted is None or d["township"] in wanted] for n, docs in self.docs.items()}
        if self.during_read:
            hook, self.during_read = self.during_read, None
            hook()
        await asyncio.sleep(0)
        return snapshot


def run(coro):
    return asyncio.run(coro)


def county_of(views: Views, store: FakeStore, period: Period = Q1) -> dict:
    """The county report as the endpoint sends it: with the comparison blocks, from the views' tallies."""
    tallies, compared = run(views.county_compared(store, period))
    return county_report(tallies, period, FIGURES, compared)


def township_of(views: Views, store: FakeStore, township: str, period: Period = Q1) -> dict:
    tally, compared = run(views.township_compared(store, township, period))
    return render(tally, FIGURES, compared)


def test_a_kept_tally_is_served_until_its_township_is_bumped():
    store, views = FakeStore(), Views()
    store.add("a", "v1")
    assert render(run(views.township(store, "a", Q1)))["visits"] == 1
    store.add("a", "v2")  # written, but the projector has not said so yet: the kept tally is served
    assert render(run(views.township(store, "a", Q1)))["visits"] == 1
    assert store.reads == ["a"]
    store.bump(["a"])
    assert render(run(views.township(store, "a", Q1)))["visits"] == 2
    assert store.reads == ["a", "a"]


def test_a_batch_landing_during_a_read_is_never_served_stale():
    store, views = FakeStore(), Views()
    store.add("a", "v1")

    def batch_lands():
        store.add("a", "v2")
        store.bump(["a"])

    store.during_read = batch_lands  # the read's snapshot misses v2
    assert render(run(views.township(store, "a", Q1)))["visits"] == 1
    assert render(run(views.township(store, "a", Q1)))["visits"] == 2  # not kept: read again


def test_a_township_without_facts_has_no_tally():
    assert run(Views().township(FakeStore(), "nowhere", Q1)) is None


def test_the_county_equals_the_report_over_all_facts_and_rereads_only_what_changed():
    store, views = FakeStore(), Views()
    for t in ("a", "b", "c"):
        store.add(t, "v1")
    got = county_of(views, store)
    assert got == report_for(store.docs, COUNTY, Q1)
    assert store.reads == [None]  # one scan, for the period and the two it compares with
    assert county_of(views, store) == got and store.reads == [None]
    assert county_report(run(views.county(store, Q1)), Q1) == {**got, "townships": [
        {k: v for k, v in r.items() if k not in ("previous_period", "same_period_last_year")} for r in got["townships"]],
        "total": {k: v for k, v in got["total"].items() if k not in ("previous_period", "same_period_last_year")}}

    store.add("b", "v2")
    store.add("d", "v1")  # a township new since the scan
    store.bump(["b", "d"])
    again = county_of(views, store)
    assert again == report_for(store.docs, COUNTY, Q1)
    assert store.reads[1:] == [["b", "d"]]  # one query for the two changed townships, no scan of all


def test_a_township_that_lost_its_kept_tally_to_the_size_bound_is_read_again():
    store, views = FakeStore(), Views(max_tallies=2)
    townships = ["a", "b", "c"]
    for t in townships:
        store.add(t, "v1")
    run(views.county(store, Q1))  # keeps only two of the three
    got = county_report(run(views.county(store, Q1)), Q1)
    assert len(store.reads) == 2 and len(store.reads[1]) == 1
    assert got["total"]["visits"] == 3 == compute(store.docs, None, Q1)["visits"]


def test_generations_are_kept_apart():
    old, new, views = FakeStore(""), FakeStore("g2_"), Views()
    old.add("a", "v1")
    new.add("a", "v1")
    new.add("a", "v2")
    assert render(run(views.township(old, "a", Q1)))["visits"] == 1
    assert render(run(views.township(new, "a", Q1)))["visits"] == 2


def test_the_county_body_is_kept_until_the_next_touch():
    store, views = FakeStore(), Views()
    store.add("a", "v1")
    render_calls = []

    def render(tallies, compared):
        render_calls.append(1)
        return repr(county_report(tallies, Q1, FIGURES, compared)).encode()

    first = run(views.county_body(store, Q1, render))
    assert run(views.county_body(store, Q1, render)) == first and len(render_calls) == 1
    store.add("a", "v2")
    store.bump(["a"])
    again = run(views.county_body(store, Q1, render))
    assert again != first and len(render_calls) == 2 and "'visits': 2" in again.decode()


def test_a_replica_that_did_not_project_serves_no_stale_tally_or_county_body():
    store = FakeStore()
    a, b = Views(), Views()  # two reporting replicas over one store; only the store's versions are shared
    store.add("a", "v1")
    store.bump(["a"])
    render = lambda tallies, compared: repr(county_report(tallies, Q1, FIGURES, compared)).encode()  # noqa: E731
    assert render_visits(run(b.township(store, "a", Q1))) == 1 and b"'visits': 1" in run(b.county_body(store, Q1, render))
    store.add("a", "v2")  # replica A's projector writes and bumps; B's own process did nothing
    store.bump(["a"])
    assert render_visits(run(b.township(store, "a", Q1))) == 2
    assert b"'visits': 2" in run(b.county_body(store, Q1, render))
    assert render_visits(run(a.township(store, "a", Q1))) == 2


def render_visits(t):
    return render(t)["visits"]


def test_a_restarted_replica_serves_the_stored_tallies_without_reading_facts():
    store = FakeStore()
    for t in ("a", "b"):
        store.add(t, "v1")
    store.bump(["a", "b"])
    before = Views()
    county = county_report(run(before.county(store, Q1)), Q1)
    township = render(run(before.township(store, "a", Q1)))
    reads = len(store.reads)

    after = Views()  # the process restarted (or another replica): nothing kept in memory
    assert county_report(run(after.county(store, Q1)), Q1) == county
    assert render(run(after.township(store, "a", Q1))) == township
    assert len(store.reads) == reads and after.stats["stored"] == 2  # no fact read: the stored tallies served

    # the reports as sent compare with two more periods: their tallies are read once, then stored too
    compared = county_of(after, store)
    assert compared == report_for(store.docs, COUNTY, Q1) and store.reads[reads:] == [["a", "b"]]
    reads = len(store.reads)
    restarted = Views()
    assert county_of(restarted, store) == compared and township_of(restarted, store, "a") == compute(store.docs, "a", Q1)
    assert len(store.reads) == reads and restarted.stats["stored"] == 6  # two townships × three periods

    store.add("b", "v2")
    store.bump(["b"])  # b's stored tallies are now at an old version: only b is read again, once for the three periods
    assert county_of(Views(), store) == report_for(store.docs, COUNTY, Q1)
    assert store.reads[reads:] == [["b"]]


def test_a_tally_stored_before_the_units_figures_is_computed_again_not_served_without_them():
    store = FakeStore()
    store.add("a", "v1")
    store.bump(["a"])
    run(Views().township(store, "a", Q1))
    version, doc = store.tallies[("a", "2026-Q1")]
    old = {k: doc[k] for k in ("listed", "visited", "visits", "in_person", "county_leader", "raised", "closed", "on_time",
                               "open_at_end", "overdue", "rated", "satisfied", "by_category")}
    store.tallies[("a", "2026-Q1")] = (version, old)  # as an earlier release stored it, at the current version
    reads = len(store.reads)
    views = Views()
    got = township_of(views, store, "a")
    assert got == compute(store.docs, "a", Q1) and got["resolution_rate"] is None and got["acknowledgements"] == 0
    assert len(store.reads) == reads + 1 and views.stats["stored"] == 0  # read again, and stored in the new format
    assert store.tallies[("a", "2026-Q1")][1]["format"] == 3


def test_a_tally_stored_in_format_2_before_the_visits_figures_is_computed_again():
    store = FakeStore()
    store.add("a", "v1")
    store.docs[VISITS][-1].update(kind="visit_day", services=["policy", "policy"], demands=2, demands_on_spot=1)
    store.bump(["a"])
    run(Views().township(store, "a", Q1))
    version, doc = store.tallies[("a", "2026-Q1")]
    assert doc["format"] == 3
    # as the release before stored it: the units' figures, no visits' figures, format 2
    two = {k: v for k, v in doc.items() if k not in ("kinds", "channels", "services", "demands", "demands_on_spot")}
    store.tallies[("a", "2026-Q1")] = (version, {**two, "format": 2})
    reads = len(store.reads)
    views = Views()
    got = render(run(views.township(store, "a", Q1)))
    assert (got["visits_by_kind"]["visit_day"], got["services_delivered"]["policy"], got["demands_raised"],
            got["demands_resolved_on_spot"], got["on_spot_rate"]) == (1, 1, 2, 1, 0.5)
    assert len(store.reads) == reads + 1 and views.stats["stored"] == 0  # not served without them: read again
    assert store.tallies[("a", "2026-Q1")][1] == doc  # and stored in format 3


def test_the_township_report_compares_with_kept_tallies_of_the_other_periods_read_from_one_read_of_facts():
    store, views = FakeStore(), Views()
    store.add("a", "v1")  # 2026-02-01: in Q1
    store.add("a", "v0", on="2025-02-03")  # last year's Q1
    store.add("a", "v9", on="2025-12-31")  # the quarter before
    store.bump(["a"])
    got = township_of(views, store, "a")
    assert got == compute(store.docs, "a", Q1) and store.reads == ["a"]  # one read for the three periods
    assert (got["previous_period"]["period"], got["previous_period"]["visits"]) == ("2025-Q4", 1)
    assert (got["same_period_last_year"]["period"], got["same_period_last_year"]["visits"]) == ("2025-Q1", 1)
    assert {p for _, p in store.tallies} == {"2026-Q1", "2025-Q4", "2025-Q1"}  # just more stored tallies
    assert township_of(views, store, "a") == got and store.reads == ["a"]  # kept
    assert render(run(views.township(store, "a", Period.parse("2025-Q4"))))["visits"] == 1 and store.reads == ["a"]
    assert township_of(Views(), store, "a") == got and store.reads == ["a"]  # a restart: the stored ones
    store.add("a", "v8", on="2025-11-30")
    store.bump(["a"])
    assert township_of(views, store, "a")["previous_period"]["visits"] == 2 and store.reads == ["a", "a"]


def test_a_first_county_read_of_a_long_history_reads_a_bounded_number_of_facts_at_a_time():
    store = FakeStore()
    townships = [f"t{n:02d}" for n in range(10)]
    for t in townships:
        for n in range(3):
            store.add(t, f"v{n}")  # 6 facts a township: 3 visits, 3 registrations
    store.bump(townships)
    views = Views(max_facts_per_read=15)  # about 2 townships a read
    assert county_of(views, store) == report_for(store.docs, COUNTY, Q1)
    assert store.reads == [townships[i:i + 2] for i in range(0, 10, 2)]  # every township once, 12 facts a read
    assert county_of(views, store) == report_for(store.docs, COUNTY, Q1) and len(store.reads) == 5  # then kept

    store.add("t03", "v9")
    store.bump(["t03"])  # one township changed: read alone, with no count of the facts first
    assert county_of(views, store) == report_for(store.docs, COUNTY, Q1) and store.reads[5:] == [["t03"]]


def test_a_restarted_replica_serves_the_stored_county_body_until_the_next_write():
    store = FakeStore()
    for t in ("a", "b"):
        store.add(t, "v1")
    store.bump(["a", "b"])
    calls = []

    def render(tallies, compared):
        calls.append(sorted(tallies))
        return repr(county_report(tallies, Q1, FIGURES, compared)).encode()

    first = run(Views().county_body(store, Q1, render))
    stored_tallies = dict(store.tallies)
    store.tallies.clear()  # so a restarted process that read tallies would have to read facts again
    reads = len(store.reads)
    restarted = Views()
    assert run(restarted.county_body(store, Q1, render)) == first  # the stored body: no tally, no fact, no render
    assert len(calls) == 1 and len(store.reads) == reads and restarted.stats["stored"] == 1

    store.tallies.update(stored_tallies)
    store.add("b", "v2")
    store.bump(["b"])  # any write moves the generation's count: the stored body is not served
    again = run(Views().county_body(store, Q1, render))
    assert again != first and "'visits': 3" in again.decode() and len(calls) == 2
    assert store.bodies["2026-Q1"][0] == store.n  # and the new one is stored at the new count

    count, _, body = store.bodies["2026-Q1"]
    store.bodies["2026-Q1"] = (count, "figures 2, tallies 2", body)  # as an earlier release rendered it
    assert run(Views().county_body(store, Q1, render)) == again and len(calls) == 3  # rendered again, not served


def test_a_store_never_written_stores_no_body():
    store = FakeStore()
    render = lambda tallies, compared: b"{}"  # noqa: E731
    assert run(Views().county_body(store, Q1, render)) == b"{}" and store.bodies == {}
