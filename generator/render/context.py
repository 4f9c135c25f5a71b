"""Page contexts: what the booking page and widget templates of a group are given.

Pure functions of the loaded site (no I/O). The only ``|safe`` values they carry are
the sanitized markdown of :mod:`generator.content` and :func:`json_script` output.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from babel import Locale

from ..content import with_image_urls
from ..i18n import Formatter, display_name, html_lang, text_direction, translations, url_locale
from ..load.config import SiteConfig
from ..load.loader import GroupSource
from ..load.site import group_language, group_locales
from ..plan.urls import WIDGET, locale_url, page_url, sibling_href
from ..timezones import TIMEZONES, zone_for
from .booking import bookable_calendars, flow_data, reminder_facts, service_groups, steps

__all__ = [
    "PageLinks", "content_security_policy", "group_context", "group_language", "group_locales", "group_parts",
    "language_links", "locale_messages", "page_parts", "x_default_locale",
]  # fmt: skip


@dataclass(frozen=True)
class PageLinks:
    """URLs of one page, relative to the output root (``eden-spa/fr/``)."""

    prefix: str  # path from this page back to the output root, e.g. "../../"
    assets: dict[str, str]  # logical name → path from the output root

    def asset(self, name: str) -> str:
        return self.prefix + self.assets[name]

    def to(self, path: str) -> str:
        return self.prefix + path


def hosted_module_url(config: SiteConfig, source: GroupSource) -> str:
    """The ClicRDV hosted module for the group: the no-JavaScript fallback."""
    urlname = source.page.urlname or source.group.urlname or source.slug
    return config.booking.hosted_module_url.replace("{urlname}", str(urlname))


def origin_of(url: str) -> str | None:
    """``https://api.example.com`` for an absolute URL, ``None`` for a path."""
    match = re.match(r"(https?://[^/]+)", url)
    return match.group(1) if match else None


def content_security_policy(config: SiteConfig, *, frames: bool = False) -> str:
    """A strict CSP: own scripts and styles only, no inline code, API calls allowed.

    ``frames`` lets a page frame its own widgets (the embed page's live previews).
    """
    connect = " ".join(filter(None, ["'self'", origin_of(config.booking.api_base_url)]))
    frame_src = "; frame-src 'self'" if frames else ""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; form-action 'self'; base-uri 'none'{frame_src}"
    )


def step_names(gettext: Any) -> dict[str, str]:
    return {
        "calendar": gettext("With whom"),
        "service": gettext("Service"),
        "slot": gettext("Date and time"),
        "signin": gettext("Sign in"),
        "details": gettext("Your details"),
        "done": gettext("Confirmation"),
    }


def heading_for(gettext: Any, source: GroupSource, use_preposition: bool) -> str:
    """The page's h1: with the group's preposition in its own language, neutral elsewhere."""
    group = source.group
    if use_preposition:
        preposition = (group.preposition or "").strip()
        # An elided preposition ("à l'", "dell'") joins the name without a space.
        joiner = "" if preposition.endswith(("'", "’")) else " "
        return str(gettext("Book an appointment %(at_business)s") % {"at_business": f"{preposition}{joiner}{group.name}"})
    return str(gettext("Book an appointment – %(name)s") % {"name": group.name})


def json_ld(source: GroupSource, canonical: str) -> dict[str, Any]:
    """schema.org LocalBusiness with a ReserveAction, for search engines."""
    group = source.group
    address = {
        "@type": "PostalAddress",
        "streetAddress": group.address,
        "addressLocality": group.city,
        "postalCode": group.zipcode,
        "addressCountry": group.country,
    }
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "name": group.name,
        "url": canonical,
        "address": {k: v for k, v in address.items() if v},
        "currenciesAccepted": group.currency_code,
    }
    if group.phone:
        data["telephone"] = group.phone
    if not group.inactive:
        data["potentialAction"] = {
            "@type": "ReserveAction",
            "target": {"@type": "EntryPoint", "urlTemplate": canonical, "inLanguage": None},
        }
    return data


def x_default_locale(config: SiteConfig, source: GroupSource) -> str:
    """The locale (URL form) that ``hreflang="x-default"`` points to, in page heads and the
    sitemap alike: the group's own language when it has pages in it, else its first locale."""
    locales = group_locales(config, source)
    language = group_language(config, source)
    return url_locale(language if language in locales else locales[0])


def language_links(
    config: SiteConfig, source: GroupSource, href: Callable[[str], str]
) -> list[tuple[str, str, str]]:
    """(code, name in its own language, link) for each locale of a group: the language switcher."""
    return [
        (url_locale(other), display_name(other), href(url_locale(other)))
        for other in group_locales(config, source)
    ]


def group_parts(config: SiteConfig, source: GroupSource, image_urls: dict[str, str] | None = None) -> dict[str, Any]:
    """The part of a page's context that is the same in every locale (computed once per
    group); ``image_urls`` maps the markdown pages' image sources to their published URLs."""
    group = source.group
    locales = group_locales(config, source)
    base_url = config.site.base_url
    return {
        "site": config.site,
        "booking": config.booking,
        "group": group,
        "slug": source.slug,
        "zone_key": group.timezone,
        "zone_iana": TIMEZONES[group.timezone],
        "csp": content_security_policy(config),
        "x_default": locale_url(base_url, source.slug, x_default_locale(config, source)),
        "tel": re.sub(r"[^0-9+]", "", group.phone or ""),
        "steps": steps(source),
        "service_groups": service_groups(source),
        "calendars": bookable_calendars(source),
        "reminders": reminder_facts(source),
        "texts": [with_image_urls(text, image_urls or {}) for text in source.texts],
        "flow": flow_data(source),
        "hosted_url": hosted_module_url(config, source),
        "alternates": [(url_locale(other), page_url(base_url, source.slug, other)) for other in locales],
        "api_base_url": config.booking.api_base_url,
    }


def group_context(
    config: SiteConfig,
    source: GroupSource,
    locale: str,
    links: PageLinks,
    page: str,
    parts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a booking page or widget template needs for one locale.

    ``page`` is the file name (``index.html`` or ``widget.html``), used to link the
    same page in the other locales; ``parts`` is :func:`group_parts` when the caller
    renders several pages of the group.
    """
    parts = parts if parts is not None else group_parts(config, source)
    group = source.group
    zone = zone_for(group.timezone)
    fmt = Formatter(locale, group.currency_code, zone)
    gettext = translations(locale).gettext
    language = group_language(config, source)
    same_language = Locale.parse(locale).language == Locale.parse(language).language
    use_preposition = same_language and bool(group.preposition and group.preposition.strip())
    canonical = page_url(config.site.base_url, source.slug, locale)
    description = source.page.description or gettext(
        "Book an appointment online with %(name)s: services, prices and available times."
    ) % {"name": group.name}
    structured = json_ld(source, canonical)
    if "potentialAction" in structured:
        structured["potentialAction"]["target"]["inLanguage"] = url_locale(locale)
    day = datetime(2000, 1, 3, tzinfo=zone)
    zone_name = fmt.zone_name()
    return {
        **parts,
        "locale": locale,
        "lang": html_lang(locale),
        "dir": text_direction(locale),
        "fmt": fmt,
        "zone_name": zone_name,
        # The group's own texts (address, markdown pages) keep their language and direction
        # inside a page in another locale, so they shape and order correctly (a French
        # text in an Arabic page stays left to right).
        "text_lang": None if same_language else html_lang(language),
        "text_dir": text_direction(language),
        "use_preposition": use_preposition,
        "heading": heading_for(gettext, source, use_preposition),
        "description": description,
        "og_locale": locale,
        "json_ld": structured,
        "sms_start": fmt.time(day.replace(hour=9)),
        "sms_end": fmt.time(day.replace(hour=19)),
        "step_names": step_names(gettext),
        "messages": {**locale_messages(locale), "zone_name": zone_name},
        "canonical": canonical,
        "links": links,
        **page_parts(config, source, page),
    }


def page_parts(config: SiteConfig, source: GroupSource, page: str) -> dict[str, Any]:
    """What differs between the booking page and the widget of one locale (``page``, the
    file name): the rest of :func:`group_context` is computed once for both."""
    return {
        "languages": language_links(config, source, lambda code: sibling_href(code, page)),
        # frame.js first: it must be listening before booking.js announces its first step.
        "scripts": ["frame.js", "booking.js"] if page == WIDGET else ["booking.js"],
    }


@cache
def locale_messages(locale: str) -> dict[str, str]:
    """The runtime script's strings in one locale (the same for every group)."""
    gettext = translations(locale).gettext
    return runtime_messages(gettext)  # step names are read from the page's progress list


def runtime_messages(gettext: Any) -> dict[str, str]:
    """UI strings the runtime script shows, translated at build time (no catalog in JS)."""
    return {
        "back": gettext("Back"),
        "earlier": gettext("Earlier dates"),
        "later": gettext("Later dates"),
        "morning": gettext("Morning"),
        "afternoon": gettext("Afternoon"),
        "evening": gettext("Evening"),
        "more": gettext("Later times"),
        "fewer": gettext("Earlier times"),
        "first": gettext("First available time"),
        "loading": gettext("Loading available times…"),
        "no_slots": gettext("No available time on these dates."),
        "none_soon": gettext("No available time in the coming weeks. Please call us."),
        "your_time": gettext("%(time)s your time"),
        "their_time": gettext("%(time)s business time"),
        "show_mine": gettext("My time zone"),
        "h24": gettext("24-hour clock"),
        "slot_title": gettext("Choose a date and time"),
        "signin_intro": gettext("Sign in with the email address and password of your client account."),
        "password": gettext("Password"),
        "bad_login": gettext("This email address and password do not match a client account."),
        "signin": gettext("Sign in"),
        "details_title": gettext("Your details"),
        "firstname": gettext("First name"),
        "lastname": gettext("Last name"),
        "email": gettext("Email"),
        "phone": gettext("Mobile phone"),
        "sms": gettext("Send me a text message reminder"),
        "confirm": gettext("Confirm the appointment"),
        "summary": gettext("Your appointment"),
        "with": gettext("With %(name)s"),
        "any": gettext("No preference"),
        "sending": gettext("Sending…"),
        "done_title": gettext("Your appointment is booked"),
        "pending_title": gettext("Waiting for your email confirmation"),
        "reference": gettext("Reference: %(id)s"),
        "done_verify": gettext("Check your email: click the link we sent you to confirm this appointment."),
        "done_ok": gettext("A confirmation has been sent to you by email."),
        "another": gettext("Book another appointment"),
        "limit": gettext("You have booked as many appointments as allowed in a row."),
        "when": gettext("When"),
        "where": gettext("Where"),
        "what": gettext("What"),
        "map": gettext("Map"),
        "call": gettext("Phone: %(phone)s"),
        "change": gettext("To cancel or change this appointment, use the link in your confirmation email or call us."),
        "add_calendar": gettext("Add to calendar"),
        "ics": gettext("Calendar file (.ics)"),
        # ClicRDV's appointment refusal codes (clicrdv-api.md §4), one message each.
        "err_NotAvailable": gettext("Sorry, this time has just been taken. Please choose another one."),
        "err_SameTimeRdv": gettext("You already have an appointment at this time. Please choose another one."),
        "err_MintimeBetween": gettext("This time is too close to another of your appointments. Please choose another one."),
        "err_MintimeRdv": gettext("This time is too soon to be booked online. Please choose a later one."),
        "err_MaxRdvPeriod": gettext("This time is too far ahead to be booked online. Please choose an earlier one."),
        "err_MaxRdvNumber": gettext("You already have as many upcoming appointments as this business allows online."),
        "err_EmailAlreadyExists": gettext("A client account already uses this email address: sign in, or use another address."),
        "err_EmailNotFound": gettext("No client account uses this email address."),
        "refused": gettext("The booking was refused. Please check your details, or book on our booking service."),
        "invalid": gettext("Please check this field."),
        "required": gettext("This field is required."),
        "bad_email": gettext("Enter a valid email address."),
        "bad_phone": gettext("Enter a valid phone number."),
        "error": gettext("The booking service cannot be reached."),
        "retry": gettext("Try again"),
        "hosted": gettext("Book on our booking service instead"),
        "step": gettext("Step %(num)s of %(total)s: %(name)s"),
    }
