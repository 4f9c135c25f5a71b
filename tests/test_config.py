"""site.toml's settings: the default locale is always set after validation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from generator.errors import problems_from_validation
from generator.load.config import SiteSettings


@pytest.mark.parametrize(
    ("given", "expected"),
    [({}, "fr"), ({"locales": ["en", "fr"]}, "en"), ({"default_locale": None, "locales": ["de"]}, "de"),
     ({"locales": ["en", "fr"], "default_locale": "fr"}, "fr")],
)  # fmt: skip
def test_the_default_locale_is_always_set_after_validation(given: dict[str, Any], expected: str) -> None:
    assert SiteSettings.model_validate(given).default_locale == expected


def test_a_default_locale_outside_the_locales_is_refused() -> None:
    with pytest.raises(ValidationError, match="default_locale 'de' is not one of locales"):
        SiteSettings.model_validate({"locales": ["en"], "default_locale": "de"})


def test_bad_locales_are_one_problem_not_two() -> None:
    with pytest.raises(ValidationError) as caught:
        SiteSettings.model_validate({"locales": []})
    problems = problems_from_validation(caught.value, "site.toml", "site")
    assert [p.path for p in problems] == ["site.locales"]


def test_the_schema_still_says_the_default_locale_may_be_absent_or_null() -> None:
    schema = SiteSettings.model_json_schema()["properties"]["default_locale"]
    assert schema == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Default Locale"}
    assert "default_locale" not in SiteSettings.model_json_schema().get("required", [])
