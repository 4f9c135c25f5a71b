"""Template gettext (generator/render/gettext.py): the same text as Jinja's newstyle gettext."""

from __future__ import annotations

import jinja2
import pytest

from generator.i18n import translations
from generator.render.gettext import template_gettext

TEMPLATES = [
    '{{ _("Contact") }}',
    '{{ _("Contact") }}{{ _("Contact") }}',  # the remembered translation, twice
    '{{ gettext("Good to know") }}',
    '{{ _("About %(name)s", name=name) }}',  # a variable, escaped
    '{{ _("About %(name)s", name=name) }}|{{ _("About %(name)s", name="Zoé") }}',
    '{{ _("100%% sure") }}',  # always a format: %% is one %
    '{{ _("<b>%(name)s</b>", name=name) }}',  # the message is markup, the variable is not
    '{{ ngettext("You can book up to %(num)s appointment in a row.", '
    '"You can book up to %(num)s appointments in a row.", count) }}',
    '{{ ngettext("%(num)s apple", "%(num)s apples", 1) }}/{{ ngettext("%(num)s apple", "%(num)s apples", 2) }}',
    '{{ pgettext("button", "Book %(name)s", name=name) }}',
    '{{ npgettext("fruit", "%(num)s %(context)s", "%(num)s %(context)s!", count) }}',
    '{% trans %}Contact{% endtrans %}',
    '{% trans n=count %}{{ n }} day{% pluralize %}{{ n }} days{% endtrans %}',
    '{{ _("Contact") ~ name }}',  # joined with a string that must still be escaped
    # Inside autoescape false, Jinja's gettext gives a plain string and escapes nothing.
    '{% autoescape false %}{{ _("About %(name)s", name=name) }}{{ _("Contact") }}{% endautoescape %}',
    '{% autoescape false %}{{ ngettext("%(num)s %(name)s", "%(num)s %(name)ss", count, name=name) }}{% endautoescape %}',
    '{% autoescape false %}{% trans z=name %}Times in {{ z }}.{% endtrans %}{% endautoescape %}',
    '{{ _("Contact") }}{% autoescape false %}{{ _("Contact") ~ name }}{% endautoescape %}{{ _("Contact") ~ name }}',
]


def environment(locale: str, fast: bool) -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    if fast:
        env.globals.update(template_gettext(translations(locale)))
    return env


@pytest.mark.parametrize("locale", ["fr", "ar", "en", "sw"])
@pytest.mark.parametrize("source", TEMPLATES)
@pytest.mark.parametrize("count", [1, 3])
def test_template_gettext_renders_what_jinjas_newstyle_gettext_renders(locale: str, source: str, count: int) -> None:
    context = {"name": "<Léa & Co>", "count": count}
    expected = environment(locale, fast=False).from_string(source).render(context)
    assert environment(locale, fast=True).from_string(source).render(context) == expected


def test_a_variable_is_escaped_and_the_message_is_not() -> None:
    env = environment("en", fast=True)
    assert env.from_string('{{ _("<b>%(name)s</b>", name=name) }}').render(name="<i>") == "<b>&lt;i&gt;</b>"


def test_a_translated_message_is_looked_up_once() -> None:
    looked_up: list[str] = []

    class Catalog(type(translations("fr"))):  # type: ignore[misc]
        def gettext(self, message: str) -> str:
            looked_up.append(message)
            return super().gettext(message)

    catalog = translations("fr")
    counting = Catalog.__new__(Catalog)
    counting.__dict__.update(catalog.__dict__)
    env = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    env.globals.update(template_gettext(counting))  # type: ignore[arg-type]
    assert env.from_string('{{ _("Contact") }}{{ _("Contact") }}').render() == "ContactContact"
    assert looked_up == ["Contact"]
