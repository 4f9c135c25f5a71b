"""Conformance: every request/response example of shared/clicrdv-api.md replayed against
the sandbox (paths, shapes, keys, types, statuses, codes). Section numbers are that file's."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .sandboxkit import CLIENT, KEY, PRO, Api, error, sha1

ENVELOPE = {"records", "sort", "dir", "totalRecords", "startIndex", "recordsReturned", "pageSize"}
GROUP_PATHS = ["groups", "groups/1", "groups/1/calendars", "groups/1/interventions", "groups/1/interventionsets",
               "groups/1/fiches", "groups/1/pros", "groups/1/appointments", "groups/1/calendars/10",
               "groups/1/availabletimeslots?intervention_ids[]=100"]  # fmt: skip


@pytest.fixture
def api(minisite: Path) -> Iterator[Api]:
    client = Api(minisite)
    yield client
    client.close()


# -- §1 URLs and formats ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["groups/1", "groups/1.json", "groups/1/calendars.json", "groups.json"])
def test_paths_answer_with_or_without_the_json_suffix(api: Api, path: str) -> None:
    plain = api.get(path.replace(".json", ""))
    suffixed = api.get(path if path.endswith(".json") else path + ".json")
    assert plain.status_code == suffixed.status_code == 200
    assert plain.json() == suffixed.json()
    assert plain.headers["content-type"].startswith("application/json")


def test_xml_is_refused_with_400_and_the_php_clients_format_parameter_is_accepted(api: Api) -> None:
    assert error(api.get("groups/1.xml"))["message"].startswith("the sandbox answers JSON only")
    assert api.get("groups/1", params={"format": "json"}).status_code == 200
    assert error(api.get("groups/1", params={"format": "xml"}))["field"] == "format"


def test_date_times_are_naive_strings_without_offset_or_t(api: Api) -> None:
    answer = api.book("2026-12-01 09:00:00")
    assert answer.status_code == 201, answer.text
    for name in ("date", "start", "end", "created_at", "updated_at"):
        assert len(answer.json()[name]) == 19 and answer.json()[name][10] == " ", name



# HEAD (RFC 9110 §9.3.2): the GET's status and headers, no body, and never a change of state.


HEAD_PATHS = [*GROUP_PATHS, "groups/999", "groups/1/availabletimeslots", "/sandbox/outbox"]


@pytest.mark.parametrize("path", HEAD_PATHS)
def test_head_answers_the_gets_status_and_headers_without_a_body(api: Api, path: str) -> None:
    got, head = api.get(path), api.call("HEAD", path)
    assert head.status_code == got.status_code
    assert head.headers == got.headers
    assert int(head.headers["content-length"]) == len(got.content) > 0 and head.content == b""


def test_head_on_appointments_lists_them_and_books_nothing(api: Api) -> None:
    assert api.book("2026-12-01 09:00:00").status_code == 201
    before = api.store.appointments(1)
    assert api.call("HEAD", "groups/1/appointments", body={"appointment": {}}).status_code == 200
    assert api.store.appointments(1) == before


@pytest.mark.parametrize(("path", "allow"), [("accounts", "POST"), ("sessions/login", "POST")])
def test_head_on_a_path_that_only_writes_is_a_405_naming_its_methods(api: Api, path: str, allow: str) -> None:
    login = {"account[email]": CLIENT[0], "account[password]": sha1(CLIENT[1])}
    answer = api.call("HEAD", path, auth=None, params=login)
    assert answer.status_code == 405 and answer.headers["allow"] == allow and answer.content == b""
    assert "set-cookie" not in answer.headers


def test_head_on_logout_is_a_405_and_the_session_goes_on(api: Api) -> None:
    # GET logs out here (the sandbox's reading of §2); a HEAD must change nothing, so it is refused.
    api.post("sessions/login", auth=None, data={"account[email]": CLIENT[0], "account[password]": sha1(CLIENT[1])})
    answer = api.call("HEAD", "sessions/logout", auth=None)
    assert answer.status_code == 405 and answer.headers["allow"] == "POST, GET, DELETE"
    assert api.get("groups/1/calendars", auth=None).status_code == 200
    assert api.get("sessions/logout", auth=None).status_code == 200
    assert api.get("groups/1/calendars", auth=None).status_code == 401


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("POST", "groups", "GET, HEAD"), ("DELETE", "groups/1", "GET, PUT, HEAD"),
    ("POST", "groups/1/calendars", "GET, HEAD"), ("GET", "accounts", "POST"),
])  # fmt: skip
def test_a_405_names_the_paths_methods_in_allow(api: Api, method: str, path: str, allow: str) -> None:
    answer = api.call(method, path)
    assert answer.status_code == 405 and answer.headers["allow"] == allow and error(answer)

# -- §2 authentication -------------------------------------------------------------------------


@pytest.mark.parametrize("path", GROUP_PATHS)
@pytest.mark.parametrize("key", [None, "", "wrong", "sandbox "])
def test_every_call_needs_the_apikey_in_the_query(api: Api, path: str, key: str | None) -> None:
    answer = api.get(path, key=key)
    assert answer.status_code == 401
    assert "apikey" in error(answer)["message"] and "www-authenticate" not in answer.headers


def test_an_apikey_in_the_body_does_not_count(api: Api) -> None:
    answer = api.post("groups/1/appointments", {"apikey": KEY, "appointment": {}}, key=None)
    assert answer.status_code == 401


@pytest.mark.parametrize("path", GROUP_PATHS)
def test_every_call_needs_an_identity_and_is_never_challenged(api: Api, path: str) -> None:
    answer = api.get(path, auth=None)
    assert answer.status_code == 401 and "www-authenticate" not in answer.headers
    assert error(answer)["field"] is None


@pytest.mark.parametrize("credentials", [("pro@example.test", "wrong"), ("nobody@example.test", "sandbox"),
                                         ("pro@example.test", sha1("sandbox"))])  # fmt: skip
def test_wrong_basic_credentials_are_401(api: Api, credentials: tuple[str, str]) -> None:
    assert api.get("groups/1", auth=credentials).status_code == 401


def test_malformed_authorization_is_401(api: Api) -> None:
    for header in ("Bearer x", "Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()):
        assert api.get("groups/1", auth=None, headers={"Authorization": header}).status_code == 401


def test_pro_login_answers_the_profile_and_error_null_and_sets_the_session_cookie(api: Api) -> None:
    answer = api.post("sessions/login.json", auth=None, data={"pro[email]": PRO[0], "pro[password]": sha1(PRO[1])})
    assert answer.status_code == 200
    body = answer.json()
    assert body["error"] is None and set(body) == {"pro", "error"}
    assert set(body["pro"]) >= {"lastname", "firstname", "email", "synched_at", "cellphone", "group_id"}
    assert body["pro"]["group_id"] == api.get("groups").json()["records"][0]["id"] and body["pro"]["email"] == PRO[0]
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("_session_id=") and "HttpOnly" in cookie
    # The cookie alone is an identity; logout ends it.
    assert api.get("groups/1", auth=None).status_code == 200
    assert api.post("sessions/logout", auth=None).json() == {"error": None}
    assert api.get("groups/1", auth=None).status_code == 401


def test_account_login_with_query_parameters_and_a_sha1_password(api: Api) -> None:
    params = {"account[email]": CLIENT[0], "account[password]": sha1(CLIENT[1])}
    answer = api.post("sessions/login", auth=None, params=params)
    assert answer.status_code == 200
    assert answer.json()["account"]["email"] == CLIENT[0] and answer.json()["error"] is None
    assert api.get("groups/1/calendars", auth=None).status_code == 200


@pytest.mark.parametrize(("password", "status"), [(CLIENT[1], 401), (sha1("other"), 401), ("", 400)])
def test_login_needs_the_sha1_of_the_right_password(api: Api, password: str, status: int) -> None:
    answer = api.post("sessions/login", auth=None, data={"account[email]": CLIENT[0], "account[password]": password})
    assert answer.status_code == status and error(answer)
    assert "set-cookie" not in answer.headers


def test_login_needs_the_apikey_too(api: Api) -> None:
    answer = api.post("sessions/login", auth=None, key=None, data={"pro[email]": PRO[0], "pro[password]": sha1(PRO[1])})
    assert answer.status_code == 401


def test_a_pro_login_is_not_an_account_login(api: Api) -> None:
    data = {"account[email]": PRO[0], "account[password]": sha1(PRO[1])}
    assert api.post("sessions/login", auth=None, data=data).status_code == 401


def test_an_account_sees_only_its_group_and_may_not_do_a_pros_job(api: Api) -> None:
    listed = api.get("groups", auth=CLIENT).json()
    assert listed["totalRecords"] == 2  # the demo client has an account in both groups
    assert api.call("PUT", "groups/1", body={"group": {"phone": "1"}}, auth=CLIENT).status_code == 403
    assert api.get("groups/1/appointments", auth=CLIENT).status_code == 403


# -- §3 lists ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["groups", "groups/1/calendars", "groups/1/interventions",
                                  "groups/1/interventionsets", "groups/1/fiches", "groups/1/appointments",
                                  "groups/1/pros"])  # fmt: skip
def test_every_collection_answers_the_envelope_with_its_types(api: Api, path: str) -> None:
    body = api.get(path).json()
    assert set(body) == ENVELOPE
    assert isinstance(body["records"], list)
    for name in ("totalRecords", "startIndex", "recordsReturned", "pageSize"):
        assert type(body[name]) is int, name
    assert body["sort"] is None and body["dir"] is None and body["pageSize"] == 25 and body["startIndex"] == 0
    assert body["recordsReturned"] == len(body["records"]) <= body["totalRecords"]


def test_sort_and_dir_order_the_records_and_are_echoed(api: Api) -> None:
    body = api.get("groups/1/interventions", params={"sort": "length", "dir": "desc"}).json()
    assert [r["length"] for r in body["records"]] == [90, 60, 45, 30]
    assert (body["sort"], body["dir"]) == ("length", "desc")
    ascending = api.get("groups/1/interventions", params={"sort": "name"}).json()["records"]
    assert [r["name"] for r in ascending] == sorted(r["name"] for r in ascending)


@pytest.mark.parametrize(("params", "field"), [({"sort": "nope"}, "sort"), ({"dir": "up"}, "dir"),
                                               ({"results": "0"}, "results"), ({"results": "-1"}, "results"),
                                               ({"results": "ten"}, "results"), ({"startIndex": "-1"}, "startIndex"),
                                               ({"startIndex": "1.5"}, "startIndex")])  # fmt: skip
def test_bad_list_parameters_are_400_naming_them(api: Api, params: dict[str, str], field: str) -> None:
    answer = api.get("groups/1/interventions", params=params)
    assert answer.status_code == 400 and error(answer)["field"] == field


@pytest.mark.parametrize(("conditions", "expected"), [
    ([("length", "=", "60")], [100]), ([("length", ">", "45")], [100, 101]), ([("length", ">=", "45")], [100, 101, 102]),
    ([("length", "<", "45")], [103]), ([("length", "<=", "45")], [102, 103]), ([("length", "!=", "60")], [101, 102, 103]),
    ([("name", "like", "massage%")], [100, 101]), ([("name", "not like", "%duo")], [100, 102, 103]),
    ([("id", "in", "100,103")], [100, 103]), ([("id", "not in", "100,103")], [101, 102]),
    ([("deleted", "=", "1")], [103]), ([("length", ">", "30"), ("price", "<", "10000")], [100, 102]),
])  # fmt: skip
def test_conditions_filter_lists_anded(api: Api, conditions, expected: list[int]) -> None:
    params = [(f"conditions[{i}][{part}]", value) for i, condition in enumerate(conditions)
              for part, value in zip(("field", "op", "value"), condition, strict=True)]  # fmt: skip
    body = api.get("groups/1/interventions", params=params).json()
    assert [r["id"] for r in body["records"]] == expected and body["totalRecords"] == len(expected)


def test_search_keeps_records_with_the_text(api: Api) -> None:
    records = api.get("groups/1/interventions", params={"search": "MASSAGE"}).json()["records"]
    assert [r["id"] for r in records] == [100, 101]


@pytest.mark.parametrize(("params", "field"), [
    ({"conditions[0][field]": "length", "conditions[0][op]": "~", "conditions[0][value]": "1"}, "conditions[0][op]"),
    ({"conditions[0][field]": "nope", "conditions[0][op]": "=", "conditions[0][value]": "1"}, "conditions[0][field]"),
    ({"conditions[0][field]": "length", "conditions[0][op]": "="}, "conditions[0]"),
])  # fmt: skip
def test_bad_conditions_are_400_naming_them(api: Api, params: dict[str, str], field: str) -> None:
    assert error(api.get("groups/1/interventions", params=params))["field"] == field


# -- §4 statuses -------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "groups/999", 404), ("GET", "groups/1/calendars/999", 404), ("GET", "groups/1/nothing", 404),
    ("GET", "nothing", 404), ("POST", "groups", 405), ("DELETE", "groups/1", 405),
    ("POST", "groups/1/calendars", 405), ("PUT", "groups/1/interventions/100", 405),
    ("GET", "groups/1/availabletimeslots", 400), ("GET", "accounts", 405), ("GET", "sessions/login", 405),
])  # fmt: skip
def test_documented_statuses_for_missing_resources_and_methods(api: Api, method: str, path: str, status: int) -> None:
    answer = api.call(method, path)
    assert answer.status_code == status and error(answer)


# -- §5 groups ---------------------------------------------------------------------------------


def test_get_groups_lists_the_sites_groups_and_get_group_answers_the_bare_record(api: Api) -> None:
    listed = api.get("groups").json()
    assert [g["id"] for g in listed["records"]] == [2, 1] and listed["totalRecords"] == 2
    group = api.get("groups/1").json()
    assert group["id"] == 1 and group["name"] == "Test Spa" and "group" not in group
    assert isinstance(group["usercolors"], str)  # the API's JSON string


def test_put_changes_only_the_named_fields_and_get_shows_it(api: Api) -> None:
    before = api.get("groups/1").json()
    answer = api.call("PUT", "groups/1", body={"group": {"phone": "01 83 62 04 04", "anyCalendar": "0"}})
    assert answer.status_code == 200
    after = api.get("groups/1").json()
    assert after == answer.json()
    assert after["phone"] == "01 83 62 04 04" and after["anyCalendar"] is False
    assert {k: v for k, v in after.items() if k not in ("phone", "anyCalendar")} == {
        k: v for k, v in before.items() if k not in ("phone", "anyCalendar")}  # fmt: skip


@pytest.mark.parametrize(("field", "good", "bad"), [
    ("name", "x" * 255, "x" * 256), ("phone", "1" * 20, "1" * 21), ("city", "c" * 64, "c" * 65),
    ("zipcode", "z" * 16, "z" * 17), ("country_code", "3" * 10, "3" * 11), ("sms_sender_name", "s" * 11, "s" * 12),
    ("mailreminder", 60, 59), ("mailreminder", 2880, 2881), ("mailreminder", 0, -1),
    ("smsreminder", 1440, 1441), ("calendarChoice", 0, 3), ("max_multirdvs", 1, 0),
    ("timezone", "Eastern Time (US & Canada)", "Europe/Paris"), ("currency_code", "XPF", "JPY"),
    ("validateEmail", "1", "yes"), ("usercolors", '{"main_bg":"#000000"}', '{"main_bg":"red"}'),
])  # fmt: skip
def test_put_validates_with_the_loaders_limits_on_both_sides(api: Api, field: str, good, bad) -> None:
    assert api.call("PUT", "groups/1", body={"group": {field: good}}).status_code == 200
    answer = api.call("PUT", "groups/1", body={"group": {field: bad}})
    assert answer.status_code == 400 and error(answer)["field"].startswith(f"group.{field}")
    assert error(answer)["code"] is None


@pytest.mark.parametrize("body", [{"group": {"id": 7}}, {"group": {"nope": 1}}, {"name": "x"}, [], {"group": []}])
def test_put_refuses_read_only_unknown_or_unwrapped_fields(api: Api, body) -> None:
    answer = api.call("PUT", "groups/1", body=body)
    assert answer.status_code == 400 and error(answer)["field"].startswith("group")
    assert api.get("groups/1").json()["id"] == 1


# -- §5 catalog --------------------------------------------------------------------------------


def test_calendars_filter_by_every_service_named(api: Api) -> None:
    def ids(*services: int) -> list[int]:
        params = [("intervention_ids[]", str(s)) for s in services]
        return [c["id"] for c in api.get("groups/1/calendars", params=params).json()["records"]]

    assert ids() == [10, 11] and ids(101) == [10, 11] and ids(100) == [10] and ids(100, 102) == []
    record = api.get("groups/1/calendars/10.json").json()
    assert record["id"] == 10 and record["group_id"] == 1 and "intervention_ids" not in record


def test_interventions_filter_by_set_and_by_calendars(api: Api) -> None:
    def ids(**params) -> list[int]:
        return [i["id"] for i in api.get("groups/1/interventions", params=params).json()["records"]]

    assert ids(interventionset_id="2") == [102, 103]
    assert ids(**{"calendar_ids[]": "11"}) == [101, 102]
    record = api.get("groups/1/interventions/100").json()
    assert {k: record[k] for k in ("length", "price", "publicname", "interventionset_id")} == {
        "length": 60, "price": 7500, "publicname": "Massage relaxant", "interventionset_id": 1}  # fmt: skip


def test_interventionsets_answer_their_records(api: Api) -> None:
    records = api.get("groups/1/interventionsets").json()["records"]
    assert {r["id"]: r["name"] for r in records} == {2: "Soins du visage", 1: "Massages"}
    assert all(r["group_id"] == 1 for r in records)


def test_pros_lists_the_pro_profile_for_the_pro_only(api: Api) -> None:
    body = api.get("groups/1/pros.json").json()
    assert set(body) == ENVELOPE and body["totalRecords"] == 1
    assert set(body["records"][0]) == {"id", "lastname", "firstname", "email", "synched_at", "cellphone"}
    assert api.get("groups/1/pros", auth=CLIENT).status_code == 403


def test_fiches_are_created_by_bookings_and_an_account_reads_only_its_own(api: Api) -> None:
    assert api.book("2026-12-01 09:00:00").status_code == 201
    api.store.add_account(1, "other@example.test", validated=True)
    assert api.book("2026-12-01 11:00:00", email="other@example.test").status_code == 201
    assert api.get("groups/1/fiches").json()["totalRecords"] == 2
    mine = api.get("groups/1/fiches", auth=CLIENT).json()["records"]
    assert mine and all(f["email"] == CLIENT[0] for f in mine)
    fiche = api.get(f"groups/1/fiches/{mine[0]['id']}").json()
    assert fiche["firstphone"] is None and fiche["rappel_sms"] == 1 and fiche["rappel_email"] == 1


FIXTURE_SITE = Path(__file__).parent / "fixtures" / "minisite"


def with_fiches(count: int) -> Api:
    api = Api(FIXTURE_SITE)
    for index in range(count):
        api.store.add_fiche(1, {"lastname": f"L{index:03d}", "email": f"f{index}@example.test"})
    return api


def test_paging_boundaries_around_the_default_of_25() -> None:
    api = with_fiches(26)
    body = api.get("groups/1/fiches").json()
    assert (body["recordsReturned"], body["totalRecords"], body["pageSize"]) == (25, 26, 25)
    assert api.get("groups/1/fiches", params={"results": "all"}).json()["recordsReturned"] == 26
    assert api.get("groups/1/fiches", params={"results": "26"}).json()["recordsReturned"] == 26
    assert api.get("groups/1/fiches", params={"startIndex": "25"}).json()["recordsReturned"] == 1
    assert api.get("groups/1/fiches", params={"startIndex": "26"}).json()["records"] == []
    assert api.get("groups/1/fiches", params={"results": "1"}).json()["recordsReturned"] == 1
    api.close()


@given(count=st.integers(0, 40), results=st.one_of(st.none(), st.just("all"), st.integers(1, 45)),
       start=st.one_of(st.none(), st.integers(0, 50)))  # fmt: skip
def test_pages_are_slices_of_the_whole_list(count: int, results, start) -> None:
    api = with_fiches(count)
    params = {k: str(v) for k, v in (("results", results), ("startIndex", start)) if v is not None}
    body = api.get("groups/1/fiches", params={**params, "sort": "lastname"}).json()
    everything = [f"L{i:03d}" for i in range(count)]
    offset = start or 0
    size = count if results == "all" else results or 25
    assert [r["lastname"] for r in body["records"]] == everything[offset : offset + size]
    assert (body["totalRecords"], body["startIndex"], body["pageSize"]) == (count, offset, size)
    assert body["recordsReturned"] == len(body["records"])
    api.close()


CHARS = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
VALID = {"name": st.text(CHARS, min_size=1, max_size=255).filter(str.strip), "phone": st.text(CHARS, max_size=20),
         "mailreminder": st.sampled_from([0, 60, 2880]), "smsreminder": st.integers(60, 1440),
         "calendarChoice": st.integers(0, 2), "anyCalendar": st.booleans(), "max_multirdvs": st.integers(1, 50),
         "currency_code": st.sampled_from(["CAD", "EUR", "XPF", "XAF", "GBP", "CHF", "USD"]),
         "timezone": st.sampled_from(["Paris", "Hawaii", "UTC", "Kyev"]), "validateEmail": st.booleans()}  # fmt: skip


@given(changes=st.fixed_dictionaries({}, optional=VALID))
def test_a_partial_put_changes_exactly_what_it_names(changes: dict) -> None:
    api = Api(FIXTURE_SITE)
    before = api.get("groups/1").json()
    answer = api.call("PUT", "groups/1", body={"group": changes})
    assert answer.status_code == 200, answer.text
    after = api.get("groups/1").json()
    assert after == {**before, **changes}
    api.close()
