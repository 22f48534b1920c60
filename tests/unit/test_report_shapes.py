"""The report's shapes (report.FIGURES): a bulletin frozen in shape 1 (§3 alone), 2 (with the units' figures) or 3
(with the visits' figures and the comparison blocks) is recognised by `bulletins.figures_of` and recomputes to the
same content and hash; shape 3 adds keys and changes none of shape 2's; the bulletin table flattens the new counts."""
from __future__ import annotations

import csv
import io

import pytest

from reporting import exports
from reporting.bulletins import content_hash, figures_of
from reporting.report import COMPARED, COUNTY, FIGURES, Period, report_for
from tests.unit.test_report_property import USCC_POOL, Stream, closed, raised, registered, stored_facts, told

A, B = USCC_POOL[0], USCC_POOL[1]
MARCH = Period.parse("2026-03")
NEW = {"visits_by_kind", "visits_by_channel", "services_delivered", "demands_raised", "demands_resolved_on_spot",
       "on_spot_rate", "previous_period", "same_period_last_year"}


def facts() -> dict:
    s = (Stream()
         .add(registered(A, "2025-01-01"), "2025-01-01T10:00:00+08:00")
         .add(told("v-1", A, "2026-03-02", "visit_day", "phone", ["policy", "warmth", "policy"], (True, False)),
              "2026-03-02T10:00:00+08:00")
         .add(told("v-2", A, "2025-03-02", demands=(True,)), "2025-03-02T10:00:00+08:00")
         .add(raised("i-1", "2026-02-10", "2026-03-20"), "2026-02-10T10:00:00+08:00")
         .add(closed("i-1", "2026-02-10", "2026-03-20", "2026-03-05"), "2026-03-05T10:00:00+08:00")
         .add(registered(USCC_POOL[8], "2025-06-01"), "2025-06-01T10:00:00+08:00", township="t2"))
    return stored_facts(s.events)


def test_the_current_shape_is_3():
    assert FIGURES == 3


@pytest.mark.parametrize("scope", ["t1", COUNTY])
@pytest.mark.parametrize("shape", [1, 2, 3])
def test_a_bulletin_frozen_in_any_shape_is_recomputed_in_that_shape_to_the_same_hash(scope, shape):
    f = facts()
    frozen = report_for(f, scope, MARCH, shape)
    assert figures_of(frozen) == shape
    again = report_for(f, scope, MARCH, figures_of(frozen))
    assert again == frozen and content_hash(again) == content_hash(frozen)


@pytest.mark.parametrize("scope", ["t1", COUNTY])
def test_shape_3_adds_the_new_figures_and_changes_none_of_shape_2(scope):
    f = facts()
    two, three = report_for(f, scope, MARCH, 2), report_for(f, scope, MARCH, 3)
    rows = [(two, three)] if scope != COUNTY else [*zip(two["townships"], three["townships"]), (two["total"], three["total"])]
    for r2, r3 in rows:
        assert set(r3) == set(r2) | NEW and not (set(r2) & NEW)
        assert {k: r3[k] for k in r2} == r2
        for block in ("previous_period", "same_period_last_year"):
            assert set(r3[block]) == {"period", *COMPARED}
            assert not any(isinstance(v, dict) for v in r3[block].values())  # flat: no comparison of a comparison
    if scope == COUNTY:
        assert {k: three[k] for k in ("ranking", "not_ranked")} == {k: two[k] for k in ("ranking", "not_ranked")}


def test_the_bulletin_table_flattens_the_visits_counts_into_their_columns():
    report = report_for(facts(), COUNTY, MARCH, 3)
    content = exports.table(exports.bulletin_rows(report), exports.BULLETIN_COLUMNS, "csv", "2026-03通报")
    [header, *rows] = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    t1 = dict(zip(header, rows[0]))
    assert (t1["乡镇"], t1["走访次数（企业走访日）"], t1["走访次数（日常走访）"], t1["电话走访次数"]) == ("t1", "1", "0", "1")
    assert (t1["送政策次数"], t1["送温暖次数"], t1["送活力次数"], t1["送信心次数"]) == ("1", "1", "0", "0")
    assert (t1["收集诉求数"], t1["现场解决数"], t1["现场解决率"]) == ("2", "1", "0.5")
    total = dict(zip(header, rows[-1]))
    assert (total["乡镇"], total["收集诉求数"], total["现场解决率"]) == ("全县合计", "2", "0.5")
    t2 = dict(zip(header, rows[1]))
    assert (t2["收集诉求数"], t2["现场解决率"]) == ("0", "")  # nothing told: no rate
    # a bulletin frozen before these figures leaves their columns blank
    old = exports.bulletin_rows(report_for(facts(), "t1", MARCH, 2))
    content = exports.table(old, exports.BULLETIN_COLUMNS, "csv", "2026-03通报")
    [header, row] = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert dict(zip(header, row))["走访次数（联合走访）"] == "" and dict(zip(header, row))["解决率"] == "1.0"
