"""Working-day calendar: schedule parsing, the shipped 2025/2026 schedules, and deadlines counted by hand."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from issues.calendar import (
    Deadline,
    ScheduleError,
    WorkCalendar,
    YearSchedule,
    builtin_schedules,
    parse_schedule,
)

CAL = WorkCalendar(builtin_schedules())  # 2025 and 2026 known, 2027 not

# Made up for the tests: the real 2027 schedule is not published yet.
TEST_2027 = {"year": 2027, "source": "test only", "holidays": ["2027-01-01"], "workdays": []}


def schedule(**changes) -> dict:
    data = {"year": 2026, "source": "test", "holidays": ["2026-02-15/2026-02-23"], "workdays": ["2026-02-14"]}
    return {**data, **changes}


# --- parse_schedule ---


def test_parse_expands_single_days_and_inclusive_ranges():
    s = parse_schedule(schedule(holidays=["2026-01-01", "2026-02-15/2026-02-17"], workdays=["2026-01-04"]))
    assert s == YearSchedule(
        year=2026,
        holidays=frozenset({date(2026, 1, 1), date(2026, 2, 15), date(2026, 2, 16), date(2026, 2, 17)}),
        workdays=frozenset({date(2026, 1, 4)}),
        source="test",
    )


def test_parse_accepts_one_day_range_and_empty_lists():
    s = parse_schedule(schedule(holidays=["2026-01-01/2026-01-01"], workdays=[]))
    assert s.holidays == {date(2026, 1, 1)} and s.workdays == frozenset()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"holidays": ["2026-01-01", "2026-13-01"]}, "holidays[1]: 2026-13-01 is not a date"),
        ({"holidays": ["2026-02-30"]}, "holidays[0]: 2026-02-30 is not a date"),
        ({"holidays": ["2026-1-1"]}, "holidays[0]: 2026-1-1 is not a date"),
        ({"holidays": ["20260101"]}, "holidays[0]: 20260101 is not a date"),
        ({"holidays": [""]}, "holidays[0]: (empty) is not a date"),
        ({"holidays": ["2026-02-15/2026-02-30"]}, "holidays[0]: 2026-02-30 is not a date"),
        ({"holidays": ["2026-02-15/"]}, "holidays[0]: (empty) is not a date"),
        ({"holidays": ["2026-01-01/2026-01-02/2026-01-03"]}, "holidays[0]: 2026-01-02/2026-01-03 is not a date"),
        ({"holidays": ["2026-02-23/2026-02-15"]}, "holidays[0]: range 2026-02-23/2026-02-15 ends before it starts"),
        ({"holidays": ["2025-10-01"]}, "holidays[0]: 2025-10-01 is not in year 2026"),
        ({"holidays": ["2026-12-31/2027-01-02"]}, "holidays[0]: 2027-01-02 is not in year 2026"),
        ({"holidays": ["2026-02-15/2026-02-17", "2026-02-17"]}, "holidays[1]: 2026-02-17 is listed twice"),
        ({"holidays": [20260101]}, "holidays[0]: 20260101 is not a string"),
        ({"holidays": "2026-01-01"}, "holidays: must be a list"),
        ({"workdays": ["2026-02-16"]}, "workdays[0]: 2026-02-16 is not a weekend day"),
        ({"workdays": ["2026-02-14/2026-02-16"]}, "workdays[0]: 2026-02-16 is not a weekend day"),
        ({"workdays": ["2026-02-21"]}, "workdays: a day cannot be both a holiday and a workday: 2026-02-21"),
        ({"workdays": None}, "workdays: must be a list"),
        ({"year": "2026"}, "year: '2026' is not a year"),
        ({"year": True}, "year: True is not a year"),
        ({"year": 0}, "year: 0 is not a year"),
        ({"source": " "}, "source: must name the notice"),
        ({"source": None}, "source: must name the notice"),
        ({"holiday": []}, "holiday: unknown field"),
    ],
)
def test_parse_errors_name_the_field(changes, message):
    with pytest.raises(ScheduleError) as e:
        parse_schedule(schedule(**changes))
    assert str(e.value).startswith(message)
    assert isinstance(e.value, ValueError)


@pytest.mark.parametrize("field", ["year", "source", "holidays", "workdays"])
def test_parse_missing_field(field):
    data = schedule()
    del data[field]
    with pytest.raises(ScheduleError, match=f"^{field}: missing$"):
        parse_schedule(data)


def test_parse_rejects_a_non_object():
    with pytest.raises(ScheduleError, match="^schedule: must be an object, got list$"):
        parse_schedule([])  # type: ignore[arg-type]


# --- the shipped schedules ---


def test_builtin_schedules_are_2025_and_2026_only():
    schedules = builtin_schedules()
    assert sorted(schedules) == [2025, 2026]  # 2027 is not published yet
    assert schedules[2025].source == "国办发明电〔2024〕12号"
    assert schedules[2026].source == "国办发明电〔2025〕7号"


def test_builtin_2025():
    s = builtin_schedules()[2025]
    # 元旦 1 + 春节 8 + 清明 3 + 劳动节 5 + 端午 3 + 国庆中秋 8
    assert len(s.holidays) == 28
    assert {date(2025, 1, 1), date(2025, 1, 28), date(2025, 2, 4), date(2025, 6, 2), date(2025, 10, 8)} <= s.holidays
    assert s.workdays == {date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)}


def test_builtin_2026():
    s = builtin_schedules()[2026]
    # 元旦 3 + 春节 9 + 清明 3 + 劳动节 5 + 端午 3 + 中秋 3 + 国庆 7
    assert len(s.holidays) == 33
    assert {date(2026, 1, 3), date(2026, 2, 15), date(2026, 2, 23), date(2026, 9, 25), date(2026, 10, 7)} <= s.holidays
    assert s.workdays == {
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10),
    }


def test_working_days_in_a_year():
    # Both years: 261 weekdays; 2025 has 18 holidays on weekdays and 5 working weekend days,
    # 2026 has 19 and 6 -> 248 each.
    assert CAL.working_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 248
    assert CAL.working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 248


# --- is_working_day ---


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 14), True),  # Sat, 调休上班
        (date(2026, 2, 16), False),  # Mon, 春节
        (date(2026, 1, 4), True),  # Sun, 调休上班
        (date(2026, 1, 3), False),  # Sat, 元旦
        (date(2026, 3, 7), False),  # an ordinary Saturday
        (date(2026, 3, 9), True),  # an ordinary Monday
        (date(2027, 1, 1), True),  # Fri in unknown 2027: weekends only
        (date(2027, 1, 2), False),  # Sat in unknown 2027
    ],
)
def test_is_working_day(day, working):
    assert CAL.is_working_day(day) is working


# --- add_working_days ---


def test_spring_festival_2026():
    # Thu 2/12. Fri 2/13 (1), Sat 2/14 working (2), 2/15-2/23 春节, Tue 2/24 (3), Wed 2/25 (4), Thu 2/26 (5)
    assert CAL.add_working_days(date(2026, 2, 12), 5) == Deadline(date(2026, 2, 26), False)
    # ... Fri 2/27 (6), Sat 2/28 working (7)
    assert CAL.add_working_days(date(2026, 2, 12), 7) == Deadline(date(2026, 2, 28), False)


def test_national_day_2026():
    # Fri 9/18. Sat 9/19 off, Sun 9/20 working (1)
    assert CAL.add_working_days(date(2026, 9, 18), 1) == Deadline(date(2026, 9, 20), False)
    # 9/20 (1), 9/21-9/24 (2-5), 9/25-27 中秋, 9/28-9/30 (6-8), 10/1-10/7 国庆, Thu 10/8 (9), Fri 10/9 (10)
    assert CAL.add_working_days(date(2026, 9, 18), 10) == Deadline(date(2026, 10, 9), False)
    # Tue 9/29. Wed 9/30 (1), 10/1-10/7 off, 10/8 (2), 10/9 (3), Sat 10/10 working (4), Sun 10/11 off, Mon 10/12 (5)
    assert CAL.add_working_days(date(2026, 9, 29), 4) == Deadline(date(2026, 10, 10), False)
    assert CAL.add_working_days(date(2026, 9, 29), 5) == Deadline(date(2026, 10, 12), False)


def test_national_day_2025():
    # Fri 9/26. Sat 9/27 off, Sun 9/28 working (1), Mon 9/29 (2), Tue 9/30 (3), 10/1-10/8 国庆中秋,
    # Thu 10/9 (4), Fri 10/10 (5), Sat 10/11 working (6), Sun 10/12 off, Mon 10/13 (7)
    assert CAL.add_working_days(date(2025, 9, 26), 3) == Deadline(date(2025, 9, 30), False)
    assert CAL.add_working_days(date(2025, 9, 26), 4) == Deadline(date(2025, 10, 9), False)
    assert CAL.add_working_days(date(2025, 9, 26), 6) == Deadline(date(2025, 10, 11), False)
    assert CAL.add_working_days(date(2025, 9, 26), 7) == Deadline(date(2025, 10, 13), False)


def test_adjusted_working_sunday_counts():
    # Wed 2025-12-31. 1/1-1/3 元旦, Sun 1/4 working (1), Mon 1/5 (2)
    assert CAL.add_working_days(date(2025, 12, 31), 1) == Deadline(date(2026, 1, 4), False)
    assert CAL.add_working_days(date(2025, 12, 31), 2) == Deadline(date(2026, 1, 5), False)


def test_start_on_a_holiday_does_not_count():
    # Sat 10/3 is in 国庆; the first working day after it is Thu 10/8
    assert CAL.add_working_days(date(2026, 10, 3), 1) == Deadline(date(2026, 10, 8), False)


def test_zero_days_is_start_and_never_provisional():
    assert CAL.add_working_days(date(2026, 2, 15), 0) == Deadline(date(2026, 2, 15), False)
    assert CAL.add_working_days(date(2027, 6, 1), 0) == Deadline(date(2027, 6, 1), False)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 1, 5), -1)


def test_into_an_unknown_year_is_provisional_until_its_schedule_is_loaded():
    start = date(2026, 12, 24)  # Thu
    # Fri 12/25 (1), Mon 12/28-Thu 12/31 (2-5): all in 2026, so not provisional
    assert CAL.add_working_days(start, 5) == Deadline(date(2026, 12, 31), False)
    # ... Fri 2027-01-01 (6) on weekends alone
    assert CAL.add_working_days(start, 6) == Deadline(date(2027, 1, 1), True)

    cal_2027 = CAL.with_schedule(parse_schedule(TEST_2027))
    assert cal_2027.knows(2027) and not CAL.knows(2027)  # the original calendar is unchanged
    # ... 1/1 holiday, 1/2-1/3 weekend, Mon 2027-01-04 (6)
    assert cal_2027.add_working_days(start, 6) == Deadline(date(2027, 1, 4), False)


def test_with_schedule_replaces_a_year():
    cal = CAL.with_schedule(parse_schedule({"year": 2026, "source": "test", "holidays": [], "workdays": []}))
    assert cal.is_working_day(date(2026, 2, 16)) and not cal.is_working_day(date(2026, 2, 14))
    assert cal.knows(2025) and cal.knows(2026)


def test_calendar_refuses_a_schedule_filed_under_another_year():
    with pytest.raises(ValueError, match="2027 is filed under 2026"):
        WorkCalendar({2026: parse_schedule(TEST_2027)})


# --- working_days_between ---


def test_working_days_between():
    assert CAL.working_days_between(date(2026, 2, 12), date(2026, 2, 26)) == 5
    assert CAL.working_days_between(date(2026, 9, 29), date(2026, 10, 12)) == 5
    assert CAL.working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0  # all of 国庆 is off
    assert CAL.working_days_between(date(2026, 2, 26), date(2026, 2, 26)) == 0
    assert CAL.working_days_between(date(2026, 2, 26), date(2026, 2, 12)) == 0
    # unknown 2027 on weekends alone: Fri 1/1, Mon 1/4; with the test schedule only Mon 1/4
    assert CAL.working_days_between(date(2026, 12, 31), date(2027, 1, 4)) == 2
    assert CAL.with_schedule(parse_schedule(TEST_2027)).working_days_between(date(2026, 12, 31), date(2027, 1, 4)) == 1


@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    n=st.integers(min_value=1, max_value=60),
)
def test_add_and_between_agree(start, n):
    r = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, r.day) == n
    assert CAL.is_working_day(r.day)
    assert CAL.working_days_between(start, r.day - timedelta(days=1)) == n - 1
    # 2025 and 2026 are known, so a day after start is in an unknown year exactly when r is
    assert r.provisional == (r.day.year >= 2027)
