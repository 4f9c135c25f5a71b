"""The one error hierarchy (generator/errors.py) and the ``file: field.path: message`` rendering."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator
from generator.errors import BookgenError, Problem, SiteError


def _bookgen_exceptions() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(generator.__path__, "generator."):
        if info.name.endswith("__main__"):
            continue  # runs the CLI on import
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("generator"):
                found.append(value)
    return found


def test_every_bookgen_exception_is_a_bookgen_error_except_the_sigterm_unwinder() -> None:
    classes = _bookgen_exceptions()
    assert len(classes) >= 10  # the walk found the package's exceptions
    outside = {cls.__qualname__ for cls in classes if not issubclass(cls, BookgenError)}
    assert outside == {"Terminated"}  # a BaseException on purpose (cli.py)


def test_a_located_problem_renders_file_line_field_path_and_message() -> None:
    assert str(Problem("groups/a/group.json", "group.name", "is required", 3)) == (
        "groups/a/group.json:3: group.name: is required"
    )
    assert str(Problem("site.toml", "", "cannot be read")) == "site.toml: cannot be read"


def test_a_problem_without_a_file_renders_only_what_it_has() -> None:
    assert str(Problem("", "", "the API is down")) == "the API is down"
    assert str(Problem("", "group.id", "is not a number")) == "group.id: is not a number"


def test_severity_is_error_by_default_and_does_not_change_the_rendering() -> None:
    error = Problem("site.toml", "locales", "fr is listed twice")
    warning = Problem("site.toml", "locales", "fr is listed twice", severity="warning")
    assert error.severity == "error" and not error.is_warning
    assert warning.is_warning and str(warning) == str(error)


def test_a_site_error_keeps_every_problem_and_a_bare_error_is_one_problem() -> None:
    problems = [Problem("a", "x", "one"), Problem("b", "", "two")]
    assert SiteError(problems).problems == problems
    assert str(SiteError(problems)) == "a: x: one\nb: two"
    assert BookgenError("plain words").problems == [Problem("", "", "plain words")]
    assert BookgenError.exit_code == 1


def test_an_api_error_is_not_a_site_error_and_names_where_it_happened() -> None:
    from generator.remote import ApiError

    error = ApiError("GET /groups.json answered HTTP 503", where="Group API", status=503)
    assert not isinstance(error, SiteError)
    assert [str(p) for p in error.problems] == ["Group API: GET /groups.json answered HTTP 503"]


def test_a_bookgen_error_leaving_a_command_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    from generator.cli import main

    @main.command("raise-for-test", hidden=True)
    def _raise() -> None:
        raise BookgenError("the thing failed")

    try:
        result = CliRunner().invoke(main, ["raise-for-test"])
    finally:
        main.commands.pop("raise-for-test")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: the thing failed"
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["MarkdownError"])
def test_value_error_subclasses_stay_value_errors_for_pydantic_validators(name: str) -> None:
    from generator import content

    assert issubclass(getattr(content, name), ValueError)


def test_problems_are_listed_once_each_with_numbers_in_numeric_order() -> None:
    from generator.errors import in_reading_order

    found = [Problem("groups/a10/interventions.json", "records[100].price", "too big"),
             Problem("groups/a2/group.json", "group.name", "is required"),
             Problem("groups/a10/interventions.json", "records[1000].price", "too big"),
             Problem("groups/a10/interventions.json", "records[9].price", "too big"),
             Problem("groups/a2/group.json", "group.name", "is required")]  # fmt: skip
    assert [(p.file, p.path) for p in in_reading_order(found)] == [
        ("groups/a2/group.json", "group.name"),
        ("groups/a10/interventions.json", "records[9].price"),
        ("groups/a10/interventions.json", "records[100].price"),
        ("groups/a10/interventions.json", "records[1000].price"),
    ]


# -- the cap on listed problems ------------------------------------------------------------------


def _problems(count: int) -> list[Problem]:
    return [Problem(f"groups/g{i}/group.json", "group.name", "is required") for i in range(count)]


def test_up_to_the_limit_every_problem_is_listed_in_the_order_given() -> None:
    from generator.errors import MAX_LISTED, listed

    problems = _problems(MAX_LISTED)
    assert listed(problems) == [str(p) for p in problems]
    assert listed([]) == []


@pytest.mark.parametrize(("over", "counted"), [(1, "1 more problem"), (2, "2 more problems")])
def test_past_the_limit_the_first_are_listed_and_one_line_counts_the_rest(over: int, counted: str) -> None:
    from generator.errors import MAX_LISTED, listed

    problems = _problems(MAX_LISTED + over)
    lines = listed(problems)
    assert lines[:-1] == [str(p) for p in problems[:MAX_LISTED]]
    hint = "(fix these first, or run again as `bookgen --all-errors ...` to list them all)"
    assert lines[-1] == f"{counted} not shown {hint}"


def test_no_limit_lists_every_problem() -> None:
    from generator.errors import listed

    problems = _problems(250)
    assert listed(problems, None) == [str(p) for p in problems]
    assert listed(problems, 1)[1].startswith("249 more problems not shown")
