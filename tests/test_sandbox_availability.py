"""Slots in the group's wall clock: DST days in Paris, 24:00 closings, every zone of the table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.load.config import WEEKDAYS, PageConfig
from generator.sandbox.availability import Busy, Schedule, day_slots, to_utc
from generator.timezones import TIMEZONES, zone_for

from .sandboxkit import Api, error, write_hours

PARIS = zone_for("Paris")


def hhmm(starts: list[str]) -> list[str]:
    return [s[11:16] for s in starts]


@pytest.fixture
def night_site(minisite: Path) -> Path:
    """Spa open Sundays 01:00-04:00 (Paris), 15-minute steps, any time ahead."""
    write_hours(minisite, "spa", 'sun = ["01:00-04:00"]\nfri = ["20:00-24:00"]', max_days_ahead=730)
    return minisite


def test_spring_forward_offers_no_start_in_the_skipped_hour(night_site: Path) -> None:
    api = Api(night_site, now=datetime(2026, 3, 1, tzinfo=UTC))
    starts = api.slots(start="2026-03-29", nDays=1)
    # 60 elapsed minutes: 01:45 ends at 03:45, 03:00 at 04:00; 02:00-02:59 does not exist.
    assert hhmm(starts) == ["01:00", "01:15", "01:30", "01:45", "03:00"]
    booked = api.book("2026-03-29 01:30:00")
    assert booked.status_code == 201 and booked.json()["end"] == "2026-03-29 03:30:00"
    api.store.add_account(1, "x@example.test", validated=True)
    assert error(api.book("2026-03-29 02:30:00", email="x@example.test"))["code"] == "NotAvailable"
    api.close()


def test_fall_back_offers_each_start_once_and_counts_elapsed_time(night_site: Path) -> None:
    api = Api(night_site, now=datetime(2026, 10, 1, tzinfo=UTC))
    starts = api.slots(start="2026-10-25", nDays=1)
    # 01:00-04:00 CET/CEST spans 4 elapsed hours; 02:xx repeats but is offered once.
    assert len(starts) == len(set(starts))
    assert hhmm(starts) == [f"{h:02d}:{m:02d}" for h in (1, 2) for m in (0, 15, 30, 45)] + ["03:00"]
    booked = api.book("2026-10-25 02:30:00").json()
    assert booked["end"] == "2026-10-25 02:30:00"  # first 02:30 + 60 minutes = the second 02:30
    # The slot held runs 00:30Z-01:30Z: 01:45 (23:45Z-00:45Z) overlaps it, 01:30 and 03:00 (02:00Z) do not.
    free = api.get("groups/1/availabletimeslots", params={"intervention_ids[]": "100", "calendar_id": "10",
                                                          "start": "2026-10-25", "nDays": "1"}).json()  # fmt: skip
    assert hhmm([s["start"] for s in free["availabletimeslots"]]) == ["01:00", "01:15", "01:30", "03:00"]
    api.close()


def test_a_closing_time_of_24_00_is_the_end_of_the_day(night_site: Path) -> None:
    api = Api(night_site, now=datetime(2026, 12, 1, tzinfo=UTC))
    starts = api.slots(start="2026-12-04", nDays=1)  # a Friday
    assert hhmm(starts)[-1] == "23:00" and hhmm(starts)[0] == "20:00"
    booked = api.book("2026-12-04 23:00:00")
    assert booked.status_code == 201 and booked.json()["end"] == "2026-12-05 00:00:00"
    api.store.add_account(1, "x@example.test", validated=True)
    assert error(api.book("2026-12-04 23:15:00", email="x@example.test"))["code"] == "NotAvailable"
    api.close()


def test_slots_are_in_the_groups_zone_not_the_servers(minisite: Path) -> None:
    path = minisite / "groups" / "spa" / "group.json"
    path.write_text(path.read_text("utf-8").replace('"timezone": "Paris"', '"timezone": "Hawaii"'), "utf-8")
    # 2026-12-02 01:05 UTC is Tuesday 1 December, 15:05 in Honolulu (bug-hunt #4).
    api = Api(minisite, now=datetime(2026, 12, 2, 1, 5, tzinfo=UTC))
    assert api.slots()[0] == "2026-12-01 15:15:00"
    api.close()


def test_a_day_without_hours_and_the_default_hours(minisite: Path) -> None:
    api = Api(minisite)  # shop has no [hours]: Monday to Friday, 09:00-18:00
    starts = api.slots(2, **{"intervention_ids[]": "200", "start": "2026-12-05", "nDays": "3"})
    assert starts[0] == "2026-12-07 09:00:00" and starts[-1] == "2026-12-07 17:30:00"
    api.close()


@st.composite
def openings(draw):
    key = draw(st.sampled_from(sorted(TIMEZONES)))
    day = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)))
    opens = draw(st.integers(0, 23 * 60))
    closes = draw(st.integers(opens + 1, 24 * 60))
    length = draw(st.integers(1, 240))
    step = draw(st.integers(5, 240))
    return key, day, opens, closes, length, step


@given(openings())
def test_every_start_exists_is_unique_and_ends_by_closing_in_elapsed_time(case) -> None:
    key, day, opens, closes, length, step = case
    span = f"{opens // 60:02d}:{opens % 60:02d}-{closes // 60:02d}:{closes % 60:02d}"
    page = PageConfig(hours={WEEKDAYS[day.weekday()]: [span]}, slot_step=step)
    zone = zone_for(key)
    slots = day_slots(page, zone, day, length)
    walls = [s.wall for s in slots]
    assert len(walls) == len(set(walls)) and walls == sorted(walls)
    midnight = datetime.combine(day, datetime.min.time())
    close = to_utc(midnight + timedelta(minutes=closes), zone, later=True)
    for slot in slots:
        assert slot.wall.date() == day and to_utc(slot.wall, zone) == slot.start  # it exists
        assert (slot.wall - midnight - timedelta(minutes=opens)) % timedelta(minutes=step) == timedelta(0)
        assert slot.end - slot.start == timedelta(minutes=length)
        if close is not None:
            assert slot.end <= close


_T0 = datetime(2026, 3, 29, tzinfo=UTC)
_holds = st.lists(st.tuples(st.integers(1, 3), st.integers(0, 600), st.integers(0, 240)), max_size=40)


@given(_holds, st.integers(1, 3), st.integers(-60, 660), st.integers(1, 240))
def test_the_schedule_counts_exactly_the_holds_that_overlap_an_interval(
    holds: list[tuple[int, int, int]], calendar: int, start: int, length: int
) -> None:
    busy = [Busy(cid, _T0 + timedelta(minutes=m), _T0 + timedelta(minutes=m + n)) for cid, m, n in holds]
    begin, end = _T0 + timedelta(minutes=start), _T0 + timedelta(minutes=start + length)
    expected = sum(1 for b in busy if b.calendar_id == calendar and b.start < end and begin < b.end)
    assert Schedule(busy).overlapping(calendar, begin, end) == expected


def test_holds_that_only_touch_an_interval_do_not_overlap_it() -> None:
    at = lambda minutes: _T0 + timedelta(minutes=minutes)  # noqa: E731
    schedule = Schedule([Busy(1, at(0), at(30)), Busy(1, at(60), at(90)), Busy(1, at(30), at(60))])
    assert schedule.overlapping(1, at(30), at(60)) == 1  # the one inside; the neighbours end/start at its edges
    assert schedule.overlapping(1, at(29), at(61)) == 3
    assert schedule.overlapping(2, at(0), at(90)) == 0
