"""Progress lines of long commands: every N items or S seconds, and nothing at all for short work."""
import io

from buildingblocks.progress import Progress


def test_a_line_every_n_items_and_a_last_one():
    out, now = io.StringIO(), [0.0]
    p = Progress("reading visits.v1.dlq", total=25, every=10, seconds=60, out=out, clock=lambda: now[0])
    for _ in range(25):
        now[0] += 0.1
        p.add()
    p.finish()
    lines = out.getvalue().splitlines()
    assert [line.split(" records")[0] for line in lines] == [
        "reading visits.v1.dlq: 10 of 25 (40%)", "reading visits.v1.dlq: 20 of 25 (80%)",
        "reading visits.v1.dlq: 25 of 25 (100%)"]
    assert ", 10/s, " in lines[-1]


def test_a_line_every_s_seconds_however_few_items():
    out, now = io.StringIO(), [0.0]
    p = Progress("rebuild", every=1_000_000, seconds=5, out=out, clock=lambda: now[0])
    p.add(3)
    now[0] = 6.0
    p.add(2)
    assert out.getvalue().startswith("rebuild: 5 records")


def test_short_work_prints_nothing():
    out = io.StringIO()
    p = Progress("replay", total=3, unit="lines", out=out)
    p.add(3)
    p.finish()
    assert out.getvalue() == ""
