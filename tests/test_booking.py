"""Booking semantics from the seed: step order, skipped steps, service grouping."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from generator.load.loader import GroupSource, load_site
from generator.models import Calendar, InterventionSet
from generator.render.booking import (
    bookable_calendars,
    reminder_facts,
    service_groups,
    steps,
    visible_services,
)


@pytest.fixture
def spa(minisite: Path) -> GroupSource:
    return next(g for g in load_site(minisite).groups if g.slug == "spa")


def with_group(source: GroupSource, **fields) -> GroupSource:
    return replace(source, group=source.group.model_copy(update=fields))


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (2, ["service", "calendar", "slot", "details", "done"]),
        (1, ["calendar", "service", "slot", "details", "done"]),
        (0, ["service", "slot", "details", "done"]),
    ],
)
def test_calendar_choice_orders_the_steps(spa: GroupSource, choice: int, expected: list[str]) -> None:
    assert steps(with_group(spa, calendarChoice=choice)) == expected


def test_a_single_calendar_skips_its_step(spa: GroupSource) -> None:
    single = replace(spa, calendars=(Calendar(id=1, name="Solo"),))
    for choice in (1, 2):
        assert "calendar" not in steps(with_group(single, calendarChoice=choice))


def test_sign_in_comes_before_slots_when_open_data_is_false(spa: GroupSource) -> None:
    assert steps(with_group(spa, openData=False))[:4] == ["service", "calendar", "signin", "slot"]
    assert steps(with_group(spa, open=False))[:4] == ["service", "calendar", "slot", "signin"]


def test_services_are_grouped_by_set_in_sort_order_without_deleted(spa: GroupSource) -> None:
    groups = service_groups(spa)
    assert [g.set.name for g in groups] == ["Massages", "Soins du visage"]
    assert [s.label for s in groups[0].services] == ["Massage relaxant", "Massage duo"]
    assert 103 not in {s.id for s in visible_services(spa)}  # deleted


def test_services_outside_any_set_come_last(spa: GroupSource) -> None:
    loose = spa.interventions[0].model_copy(update={"interventionset_id": None, "sort": -1})
    source = replace(spa, interventions=(loose, *spa.interventions[1:]))
    groups = service_groups(source)
    assert groups[-1].set is None
    assert [s.id for s in groups[-1].services] == [loose.id]


def test_calendars_without_a_visible_service_are_not_offered(spa: GroupSource) -> None:
    only_deleted = Calendar(id=99, name="Ghost", intervention_ids=[103])
    source = replace(spa, calendars=(*spa.calendars, only_deleted))
    assert 99 not in {c.id for c in bookable_calendars(source)}


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_set_with_a_blank_publicname_hides_all_its_services(spa: GroupSource, blank: str) -> None:
    sets = tuple(s.model_copy(update={"publicname": blank}) if s.id == 1 else s for s in spa.sets)
    # Even a service with its own publicname is hidden by its set's blank publicname.
    named = tuple(i.model_copy(update={"publicname": "Public"}) if i.interventionset_id == 1 else i
                  for i in spa.interventions)
    source = replace(spa, sets=sets, interventions=named)
    assert {s.interventionset_id for s in visible_services(source)} == {2}
    assert [g.set.id for g in service_groups(source)] == [2]
    assert 10 not in {c.id for c in bookable_calendars(source)}  # Alice only offered set 1's services


@pytest.mark.parametrize(("publicname", "label"), [(None, "Massages"), ("Nos massages", "Nos massages")])
def test_a_set_without_publicname_shows_its_name_and_one_with_it_its_publicname(
    publicname: str | None, label: str
) -> None:
    interventionset = InterventionSet(id=1, name="Massages", publicname=publicname)
    assert interventionset.label == label
    assert not interventionset.hidden


def test_deleted_calendars_never_appear_and_publicname_is_their_label(spa: GroupSource) -> None:
    calendars = (spa.calendars[0].model_copy(update={"deleted": True}),
                 spa.calendars[1].model_copy(update={"publicname": "Bruno B."}))
    source = replace(spa, calendars=calendars)
    assert [c.label for c in bookable_calendars(source)] == ["Bruno B."]


def test_mail_reminders_need_sendmail(spa: GroupSource) -> None:
    assert reminder_facts(spa)["mail_minutes"] == 1440
    assert reminder_facts(with_group(spa, sendmail=False))["mail_minutes"] == 0
    assert reminder_facts(spa)["sms_minutes"] == 240
