"""The widget/loader contract (generator/protocol.py) is what the shipped scripts and the
docs say: each literal the static scripts carry is checked against the one Python source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator import protocol
from generator.render.snippets import SANDBOX
from generator.sandbox.booking import EMAIL

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "templates" / "static"


def script(name: str) -> str:
    return (STATIC / name).read_text("utf-8")


def listed_in(source: str, array_before: str) -> tuple[str, ...]:
    """The string items of the JS array literal written just before ``array_before``."""
    found = re.search(r"\[([^\]]*)\]" + re.escape(array_before), source)
    assert found is not None, array_before
    return tuple(re.findall(r'"(\w+)"', found.group(1)))


def test_the_widget_posts_every_message_type_with_the_version_and_only_to_a_plain_origin() -> None:
    frame = script("frame.js")
    assert f"{{ bookgen: {protocol.VERSION}, type, id, detail }}" in frame
    posted = set(re.findall(r'post\("(\w+)"', frame)) | set(listed_in(frame, ") {"))
    assert posted == set(protocol.MESSAGE_TYPES)
    assert f"/{protocol.ORIGIN_PATTERN}/.test(origin)" in frame
    assert frame.count("postMessage(") == 1 and "detail }, origin);" in frame  # never "*"


def test_the_loader_handles_every_message_type_by_the_contract() -> None:
    embed = script("embed.js")
    assert f"data.bookgen !== {protocol.VERSION}" in embed
    handled = set(re.findall(r'data\.type === "(\w+)"', embed))
    listed = listed_in(embed, ".includes(data.type)")
    assert listed == protocol.EVENT_TYPES
    assert handled | set(listed) == set(protocol.MESSAGE_TYPES)
    low, high = protocol.RESIZE_CLAMP
    assert f"Math.max({low}, Math.min(+data.detail.height || 0, {high}))" in embed
    assert "e.origin !== base.origin" in embed and "contentWindow !== e.source" in embed


def test_the_loader_uses_the_sandbox_tokens_default_locale_and_button_colour() -> None:
    embed = script("embed.js")
    assert f'iframe.setAttribute("sandbox", "{protocol.SANDBOX}")' in embed
    assert f'o.locale || "{protocol.DEFAULT_LOCALE}"' in embed
    assert f'o.background || "{protocol.BUTTON_BACKGROUND}"' in embed
    assert SANDBOX is protocol.SANDBOX  # the no-script iframe snippet uses the same tokens
    assert "allow-top-navigation" not in protocol.SANDBOX


def test_the_booking_form_checks_email_and_phone_with_the_shared_patterns() -> None:
    details = script("details.js")  # the details step, loaded when it opens
    assert f"/{protocol.EMAIL_PATTERN}/.test(values.email)" in details
    assert f"/{protocol.PHONE_PATTERN}/.test(values.phone)" in details
    assert EMAIL.pattern == protocol.EMAIL_PATTERN  # the sandbox accepts what the form sends


@pytest.mark.parametrize(
    ("address", "valid"),
    [("ana@example.com", True), ("a" * 64 + "@example.com", True), ("a" * 65 + "@example.com", False),
     ("ana@example", False), ("ana @example.com", False), ("ana@@example.com", False)],
)  # fmt: skip
def test_the_sandbox_email_rule_is_the_forms_plus_the_64_character_local_part(address: str, valid: bool) -> None:
    from generator.sandbox.booking import _email
    from generator.sandbox.errors import ApiError

    if valid:
        assert _email(address, "account.email") == address
    else:
        with pytest.raises(ApiError):
            _email(address, "account.email")


def flow_sources() -> str:
    """The booking flow as written: booking.js, its modules and its step modules."""
    names = ["booking.js", "slots.js", "signin.js", "details.js", "done.js"]
    return "".join(script(name) for name in names) + "".join(p.read_text("utf-8") for p in (STATIC / "booking").glob("*.js"))


def keys_of(source: str, literal_after: str) -> list[str]:
    """The keys of the object literal written just after ``literal_after``."""
    found = re.search(re.escape(literal_after) + r"\s*\{([^}]*)\}", source)
    assert found is not None, literal_after
    return re.findall(r"(?:^|,)\s*(\w+)", found.group(1))


def test_the_flow_dispatches_the_events_the_widget_posts_on_with_the_details_the_loader_reads() -> None:
    flow, frame, embed = flow_sources(), script("frame.js"), script("embed.js")
    assert set(re.findall(r'\bemit\("(\w+)"', flow)) == set(protocol.FLOW_EVENTS)
    assert set(listed_in(frame, ") {")) == set(protocol.FLOW_EVENTS) - {"ready"}  # frame.js posts ready itself
    assert 'new CustomEvent("bookgen:" + name, { bubbles: true' in flow
    assert keys_of(flow, 'emit("booked",') == keys_of(embed, 'data.type === "booked" ?') == ["date", "service", "calendar"]
    assert keys_of(flow, 'emit("step",') == keys_of(embed, 'data.type === "step" ?') == ["step"]


def test_the_flow_and_the_loader_take_the_same_prefill_keys() -> None:
    state, embed = (STATIC / "booking" / "state.js").read_text("utf-8"), script("embed.js")
    assert listed_in(state, ";\n") == listed_in(embed, ";\n  let count") == protocol.PREFILL


def test_the_docs_table_lists_exactly_the_message_types() -> None:
    docs = (ROOT / "docs" / "embed.md").read_text("utf-8")
    section = docs.split("### Messages between the widget and the loader", 1)[1].split("###", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE)
    assert rows[1:] == list(protocol.MESSAGE_TYPES)  # after the header row
    assert f"{{bookgen: {protocol.VERSION}, type, id, detail}}" in section
    assert "–".join(map(str, protocol.RESIZE_CLAMP)) in section
    assert all(f"`bookgen:{event}`" in section for event in protocol.FLOW_EVENTS)  # the flow's leg, in the widget
