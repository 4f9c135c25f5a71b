"""The contract between the widget (``frame.js``), the host's loader (``embed.js``), the
booking flow (``booking.js``, its modules in ``booking/`` and its step modules) and
bookgen's Python side, written down once.

docs/embed.md ("Messages between the widget and the loader") is its prose. The scripts are
static files shipped as written, so they carry these values as literals;
tests/test_protocol.py fails when a literal (or the docs' table) drifts from this module,
and tests/browser/test_embed.py drives every message type through a real browser.

Messages are ``{bookgen: VERSION, type, id, detail}``, posted by the widget to the origin
the loader named in the iframe's fragment (:data:`ORIGIN_PATTERN`, never ``"*"``); the
loader accepts one only from the widget's origin *and* from the iframe ``id`` names.
"""

from __future__ import annotations

__all__ = [
    "BUTTON_BACKGROUND",
    "DEFAULT_LOCALE",
    "EMAIL_PATTERN",
    "EVENT_TYPES",
    "FLOW_EVENTS",
    "MESSAGE_TYPES",
    "ORIGIN_PATTERN",
    "PHONE_PATTERN",
    "PREFILL",
    "RESIZE_CLAMP",
    "SANDBOX",
    "VERSION",
]

VERSION = 1
"""The ``bookgen`` key's value in every message."""

MESSAGE_TYPES: dict[str, str] = {
    "ready": "{}: the widget has loaded",
    "resize": "{height} in CSS px: the content's height changed",
    "step": "{step}: a step is shown",
    "booked": "{date, service, calendar}: an appointment was created (no personal data)",
    "close": "{}: Escape outside a form field (hides a popup)",
}
"""Every message the widget posts, with its ``detail``."""

EVENT_TYPES = ("ready", "step", "booked")
"""The messages the loader re-dispatches on the host as ``bookgen:<type>`` DOM events."""

FLOW_EVENTS: dict[str, str] = {
    "ready": "{}: the flow has taken over the page",
    "step": "{step}: a step is shown",
    "booked": "{date, service, calendar}: an appointment was created (no personal data)",
}
"""The DOM events the booking flow (``booking.js`` and its step modules) dispatches on its
root, bubbling: a booking page's own scripts can listen to them, and in a widget
``frame.js`` posts ``step`` and ``booked`` on to the host (it posts ``ready`` itself, once
it listens)."""

PREFILL = ("service", "calendar", "firstname", "lastname", "email", "phone")
"""The keys that prefill the flow: the loader's ``data-*`` and ``Bookgen.open`` options, carried
in the widget's fragment, and the booking page's own fragment or query string."""

RESIZE_CLAMP = (200, 5000)
"""CSS px: the loader clamps an inline iframe's height to this range."""

ORIGIN_PATTERN = r"^https?:\/\/[^/?#]+$"
"""The only host origins the widget posts to (a plain ``http(s)://host[:port]``); JS syntax."""

SANDBOX = "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox"
"""The iframe's sandbox tokens: the widget's scripts, its own origin (for the booking API),
forms, and opening the hosted module in a new tab; never ``allow-top-navigation``."""

DEFAULT_LOCALE = "fr"
"""The widget locale the loader uses when the host names none (ClicRDV's home market)."""

BUTTON_BACKGROUND = "#7a4a12"
"""The floating button's colour when the host names none."""

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
"""An email address as the booking form and the sandbox accept it (JS and Python syntax)."""

PHONE_PATTERN = r"^\+?[0-9][0-9 .()-]{5,19}$"
"""A phone number as the booking form accepts it (JS and Python syntax)."""
