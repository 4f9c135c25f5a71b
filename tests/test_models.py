"""The models enforce the seed's exact limits, defaults and API quirks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from generator.fields import MAX_ID
from generator.models import (
    CURRENCIES,
    USERCOLOR_KEYS,
    Calendar,
    Group,
    Intervention,
    InterventionSet,
    UserColors,
)
from generator.timezones import TIMEZONES


def group(**fields: Any) -> Group:
    return Group.model_validate({"name": "Eden Spa", **fields})


def error_of(**fields: Any) -> tuple[str, str]:
    """The single validation error of a group: (field path, message)."""
    with pytest.raises(ValidationError) as caught:
        group(**fields)
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return ".".join(str(p) for p in errors[0]["loc"]), errors[0]["msg"]


STRING_LIMITS = {
    "name": 255,
    "preposition": 255,
    "phone": 20,
    "fax": 20,
    "address": 255,
    "city": 64,
    "zipcode": 16,
    "country": 255,
    "country_code": 10,
    "sms_sender_name": 11,
}


@pytest.mark.parametrize(("field", "limit"), STRING_LIMITS.items())
def test_string_at_its_limit_is_accepted(field: str, limit: int) -> None:
    assert getattr(group(**{field: "x" * limit}), field) == "x" * limit


@pytest.mark.parametrize(("field", "limit"), STRING_LIMITS.items())
def test_string_one_past_its_limit_is_rejected_with_its_length(field: str, limit: int) -> None:
    path, message = error_of(**{field: "x" * (limit + 1)})
    assert path == field
    assert message == f"is {limit + 1} characters long; at most {limit} allowed"


def test_length_counts_characters_not_bytes() -> None:
    assert group(city="é" * 64).city == "é" * 64


def test_name_is_required_and_not_blank() -> None:
    with pytest.raises(ValidationError) as caught:
        Group.model_validate({})
    assert caught.value.errors()[0]["loc"] == ("name",)
    assert error_of(name="   ") == ("name", "must not be empty")


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [("mailreminder", 60, 2880), ("smsreminder", 60, 1440)],
)
def test_reminders_are_zero_or_within_their_range(field: str, low: int, high: int) -> None:
    for ok in (0, low, high):
        assert getattr(group(**{field: ok}), field) == ok
    for bad in (1, low - 1, high + 1, -1):
        path, message = error_of(**{field: bad})
        assert path == field
        assert message == f"{bad} must be 0 (off) or between {low} and {high}"


def test_calendar_choice_accepts_0_1_2_only() -> None:
    for ok in (0, 1, 2, "1"):
        assert group(calendarChoice=ok).calendarChoice == int(ok)
    for bad in (-1, 3):
        assert error_of(calendarChoice=bad) == ("calendarChoice", f"{bad} must be between 0 and 2")


def test_max_multirdvs_is_at_least_one() -> None:
    assert group(max_multirdvs=1).max_multirdvs == 1
    assert group(max_multirdvs=2_147_483_647).max_multirdvs == 2_147_483_647
    assert error_of(max_multirdvs=0)[0] == "max_multirdvs"
    assert error_of(max_multirdvs=2_147_483_648)[0] == "max_multirdvs"


def test_defaults_are_the_seeds() -> None:
    g = group()
    assert (g.sendmail, g.check_sms, g.check_sms_from_web) == (True, True, True)
    assert (g.inactive, g.open, g.openData, g.anyCalendar, g.validateEmail) == (False, True, True, True, True)
    assert (g.mailreminder, g.smsreminder, g.calendarChoice, g.max_multirdvs) == (0, 0, 2, 1)
    assert g.currency_code == "EUR"
    assert g.usercolors is None
    # The seed gives no default for the display flags; bookgen shows both (documented).
    assert (g.display_intervention_length, g.display_intervention_price) == (True, True)


def test_null_from_the_api_means_the_default() -> None:
    g = group(mailreminder=None, open=None, calendarChoice=None, phone=None)
    assert (g.mailreminder, g.open, g.calendarChoice, g.phone) == (0, True, 2, None)


@pytest.mark.parametrize(("raw", "value"), [(True, True), (False, False), (1, True), (0, False),
                                            ("1", True), ("0", False), ("true", True), ("false", False)])
def test_booleans_accept_what_the_api_sends(raw: Any, value: bool) -> None:
    assert group(open=raw).open is value


@pytest.mark.parametrize("raw", ["yes", "on", 2, -1, "", 1.5, [], "True"])
def test_booleans_reject_anything_looser(raw: Any) -> None:
    path, message = error_of(inactive=raw)
    assert path == "inactive"
    assert "is not a boolean" in message


def test_numbers_as_strings_are_read_but_not_floats_or_booleans() -> None:
    assert group(smsreminder="240").smsreminder == 240
    assert error_of(smsreminder=240.5)[1] == "240.5 is not a whole number"
    assert error_of(smsreminder=True)[1] == "True is not a whole number"


@pytest.mark.parametrize("code", CURRENCIES)
def test_every_seed_currency_is_accepted(code: str) -> None:
    assert group(currency_code=code).currency_code == code


@pytest.mark.parametrize("code", ["JPY", "eur", "", "EURO"])
def test_other_currencies_are_rejected_listing_the_choices(code: str) -> None:
    path, message = error_of(currency_code=code)
    assert path == "currency_code"
    assert message.endswith("is not one of CAD, EUR, XPF, XAF, GBP, CHF, USD")


def test_every_seed_timezone_key_is_accepted() -> None:
    assert len(TIMEZONES) == 142
    for key in TIMEZONES:
        assert group(timezone=key).timezone == key


@pytest.mark.parametrize(
    ("given", "suggested"),
    [("Europe/Paris", "Paris"), ("paris", "Paris"), ("Kiev", "Kyev"), ("Europe/Kiev", "Kyev"),
     ("America/Bogota", "Bogota"), ("Katmandu", "Kathmandu")],
)
def test_unknown_timezone_suggests_the_key(given: str, suggested: str) -> None:
    assert error_of(timezone=given) == (
        "timezone",
        f"{given!r} is not a timezone key; did you mean {suggested!r}?",
    )


def test_unknown_fields_from_the_api_are_kept() -> None:
    g = group(id=42, urlname="eden", created_at="2024-01-01")
    assert g.to_api()["id"] == 42
    assert g.to_api()["urlname"] == "eden"
    assert g.to_api()["created_at"] == "2024-01-01"


def test_id_and_urlname_are_declared_and_typed() -> None:
    g = group(id="4102", urlname="eden-spa")
    assert g.id == 4102 and g.urlname == "eden-spa"
    assert group().id is None and group().urlname is None
    assert group(id=None).id is None


@pytest.mark.parametrize("raw", [1, "1", 4102.0, MAX_ID, str(MAX_ID), float(MAX_ID)])
def test_a_group_id_is_a_whole_number_from_1_to_max_id_possibly_as_a_string(raw: Any) -> None:
    assert group(id=raw).id == int(raw)


@pytest.mark.parametrize("raw", [0, -1, "0", "007", "abc", True, 1.5, 1e400, "1" * 19, [1],
                                 MAX_ID + 1, str(MAX_ID + 1), float(MAX_ID + 1), 2**53 + 1])
def test_anything_else_is_not_a_group_id(raw: Any) -> None:
    path, message = error_of(id=raw)
    assert path == "id" and message.endswith(f"is not a group id (a whole number from 1 to {MAX_ID})")


def test_max_id_is_what_the_gateway_carries_so_every_loaded_id_can_be_booked() -> None:
    # A group id the gateway's routes refuse (404) or a service/calendar id its bodies refuse
    # (400) would build pages on which every booking fails.
    from generator.gateway.bodies import AppointmentBody
    from generator.gateway.routes import match

    assert match("GET", f"/api/v1/groups/{MAX_ID}")[1] == MAX_ID
    with pytest.raises(Exception, match="no such path"):
        match("GET", f"/api/v1/groups/{MAX_ID + 1}")
    body = {"appointment": {"date": "2026-12-01 10:00:00", "intervention_ids": [MAX_ID], "calendar_id": MAX_ID}}
    assert AppointmentBody.model_validate(body).appointment.calendar_id == MAX_ID


RECORDS = {"service": (Intervention, {"name": "Cut"}), "calendar": (Calendar, {"name": "Alice"}),
           "set": (InterventionSet, {"name": "Hair"})}  # fmt: skip


@pytest.mark.parametrize("kind", RECORDS)
@pytest.mark.parametrize("raw", [1, "1", MAX_ID, str(MAX_ID)])
def test_a_record_id_from_1_to_max_id_is_accepted(kind: str, raw: Any) -> None:
    model, fields = RECORDS[kind]
    assert model.model_validate({**fields, "id": raw}).id == int(raw)


@pytest.mark.parametrize("kind", RECORDS)
@pytest.mark.parametrize("raw", [0, "0", -3, "-3", MAX_ID + 1, str(MAX_ID + 1), 2**53 + 1, "1" * 18, 1e400, True])
def test_a_record_id_of_0_negative_or_past_max_id_is_refused(kind: str, raw: Any) -> None:
    # 0 is the runtime's and the gateway's "no preference" calendar: a calendar numbered 0 was
    # booked as whichever calendar was free.
    model, fields = RECORDS[kind]
    with pytest.raises(ValidationError) as caught:
        model.model_validate({**fields, "id": raw})
    assert caught.value.errors()[0]["msg"].endswith(f"is not a record id (a whole number from 1 to {MAX_ID})")


@pytest.mark.parametrize("raw", [0, MAX_ID + 1])
def test_ids_that_point_at_records_have_the_same_bounds(raw: int) -> None:
    with pytest.raises(ValidationError):
        Intervention.model_validate({"id": 1, "name": "x", "interventionset_id": raw})
    with pytest.raises(ValidationError):
        Calendar.model_validate({"id": 1, "name": "x", "intervention_ids": [raw]})


def test_absent_id_and_urlname_stay_absent_in_the_api_form() -> None:
    assert {"id", "urlname"}.isdisjoint(group().to_api())
    assert group(id=None).to_api()["id"] is None  # given as null: kept, as the API sent it


def test_id_and_urlname_are_not_in_the_json_schema_of_the_seed_settings() -> None:
    assert {"id", "urlname"}.isdisjoint(Group.model_json_schema()["properties"])


PALETTE = {
    "content_bg": "#FDF7E8", "content_text": "#333333", "content_links": "#322A1D", "main_bg": "#F1C48D",
    "main_text": "#FFFFFF", "page_bg": "#322A1D", "page_text": "#FFFCF7",
}  # fmt: skip


def test_usercolors_string_and_object_give_the_same_model() -> None:
    from_string = group(usercolors=json.dumps(PALETTE))
    from_object = group(usercolors=PALETTE)
    assert from_string.usercolors == from_object.usercolors
    assert from_object.to_api()["usercolors"] == json.dumps(PALETTE, separators=(",", ":"))


def test_usercolors_null_or_empty_means_theme_defaults() -> None:
    assert group(usercolors=None).usercolors is None
    assert group(usercolors="").usercolors is None
    assert group().to_api()["usercolors"] is None


def test_usercolors_of_255_characters_is_accepted_and_256_rejected() -> None:
    text = json.dumps(PALETTE)
    padded = text[:-1] + " " * (255 - len(text)) + "}"
    assert len(padded) == 255
    assert group(usercolors=padded).usercolors is not None
    too_long = text[:-1] + " " * (256 - len(text)) + "}"
    assert error_of(usercolors=too_long) == ("usercolors", "is 256 characters long; at most 255 allowed")


@pytest.mark.parametrize("colour", ["red", "red;}", "#FFF", "#GGGGGG", "#1234567", "url(x)", "#12345"])
def test_usercolors_values_must_be_rrggbb(colour: str) -> None:
    path, message = error_of(usercolors={**PALETTE, "main_bg": colour})
    assert path == "usercolors.main_bg"
    assert message == f"{colour!r} is not a #RRGGBB colour"


def test_usercolors_rejects_unknown_keys_and_bad_json() -> None:
    assert error_of(usercolors='{"background":"#FFFFFF"}')[1].startswith("unknown key 'background'")
    assert error_of(usercolors="{not json")[1].startswith("is not valid JSON")
    assert error_of(usercolors="[1]")[1] == "must hold a JSON object of colours"


@pytest.mark.parametrize("repeated", USERCOLOR_KEYS)
def test_usercolors_with_a_key_twice_is_refused_like_a_duplicate_key_in_a_file(repeated: str) -> None:
    # Before: '{"content_bg":"#000000","content_bg":"#FFFFFF"}' loaded, silently keeping the last.
    text = json.dumps({repeated: "#000000"})[:-1] + f', "{repeated}": "#FFFFFF"}}'
    assert error_of(usercolors=text) == ("usercolors", f"has the key {repeated!r} twice")


def test_usercolors_with_every_key_once_is_accepted() -> None:
    text = json.dumps({key: "#000000" for key in USERCOLOR_KEYS})
    assert group(usercolors=text).usercolors is not None


def test_intervention_defaults_and_limits() -> None:
    service = Intervention.model_validate({"id": 1, "name": "Cut"})
    assert (service.length, service.price, service.deleted, service.label) == (15, None, False, "Cut")
    assert Intervention.model_validate({"id": 1, "name": "Cut", "publicname": "Haircut"}).label == "Haircut"
    for ok in (1, 1440):
        assert Intervention.model_validate({"id": 1, "name": "x", "length": ok}).length == ok
    for bad in (0, 1441, -5):
        with pytest.raises(ValidationError):
            Intervention.model_validate({"id": 1, "name": "x", "length": bad})
    for bad_price in (-1, 100_000_001):
        with pytest.raises(ValidationError):
            Intervention.model_validate({"id": 1, "name": "x", "price": bad_price})


def test_calendar_offers_all_services_without_an_association() -> None:
    assert Calendar.model_validate({"id": 1, "name": "Alice"}).offers(99)
    limited = Calendar.model_validate({"id": 1, "name": "Alice", "intervention_ids": [1, "2"]})
    assert limited.offers(2) and not limited.offers(3)


def test_intervention_set_requires_id_and_name() -> None:
    with pytest.raises(ValidationError):
        InterventionSet.model_validate({"name": "Massages"})
    assert InterventionSet.model_validate({"id": "3", "name": "Massages"}).id == 3


# --- property-based -------------------------------------------------------------------------

colour = st.from_regex(r"#[0-9A-Fa-f]{6}", fullmatch=True)
text_of = lambda n: st.text(max_size=n).filter(lambda s: "\x00" not in s)  # noqa: E731
api_bool = st.sampled_from([True, False, 1, 0, "1", "0"])

valid_groups = st.fixed_dictionaries(
    {"name": st.text(min_size=1, max_size=255).filter(lambda s: s.strip() and "\x00" not in s)},
    optional={
        **{field: text_of(limit) for field, limit in STRING_LIMITS.items() if field != "name"},
        "timezone": st.sampled_from(sorted(TIMEZONES)),
        "mailreminder": st.one_of(st.just(0), st.integers(60, 2880)),
        "smsreminder": st.one_of(st.just(0), st.integers(60, 1440)),
        "calendarChoice": st.integers(0, 2),
        "max_multirdvs": st.integers(1, 2_147_483_647),
        "currency_code": st.sampled_from(CURRENCIES),
        "usercolors": st.one_of(st.none(), st.dictionaries(st.sampled_from(USERCOLOR_KEYS), colour)),
        **{flag: api_bool for flag in ("sendmail", "check_sms", "check_sms_from_web", "inactive", "open",
                                       "openData", "anyCalendar", "display_intervention_length",
                                       "display_intervention_price", "validateEmail")},
    },
)


@settings(max_examples=200, deadline=None)
@given(valid_groups)
def test_valid_groups_always_load_and_round_trip_through_the_api_form(data: dict[str, Any]) -> None:
    loaded = Group.model_validate(data)
    again = Group.model_validate(json.loads(json.dumps(loaded.to_api())))
    assert again == loaded


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*Group.model_fields, "id"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), colour,
                                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(), st.text()))))
def test_arbitrary_input_never_raises_anything_but_a_validation_error(data: dict[str, Any]) -> None:
    try:
        Group.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            assert item["msg"]


@given(st.dictionaries(st.sampled_from(USERCOLOR_KEYS), colour, min_size=1))
def test_usercolors_string_form_round_trips(colours: dict[str, str]) -> None:
    parsed = UserColors.model_validate(colours)
    assert UserColors.model_validate(json.loads(parsed.to_json())) == parsed
