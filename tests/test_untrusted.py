"""A project theme's templates: Jinja's immutable sandbox, bounded operators, a time limit
per page that stops a render in whichever thread or process it runs."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path, PurePath

import jinja2
import pytest

import generator.untrusted as untrusted
from generator.errors import SiteError
from generator.render.environment import Renderer
from generator.themes import Theme, load_theme

LOOP = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


def project_theme(site: Path, templates: dict[str, str] | None = None, name: str = "mine") -> Theme:
    """A project theme ``name`` extending classic, with ``templates`` (path → source)."""
    folder = site / "themes" / name
    folder.mkdir(parents=True)
    (folder / "theme.toml").write_text(f'name = "{name}"\nextends = "classic"\n', "utf-8")
    for path, source in (templates or {}).items():
        (folder / "templates" / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / "templates" / path).write_text(source, "utf-8")
    load_theme.cache_clear()
    return load_theme(name, (site / "themes",))


def problem_of(theme: Theme, template: str = "x.html", **context: object) -> str:
    """The one problem rendering ``template`` gives, as printed."""
    with pytest.raises(SiteError) as raised:
        Renderer().render(theme, "fr", template, dict(context), "spa")
    [problem] = raised.value.problems
    return str(problem)


@pytest.fixture
def short_limit(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(untrusted, "RENDER_SECONDS", 0.3)
    return 0.3


# -- which environments are sandboxed ------------------------------------------------------------


def test_built_in_themes_and_project_themes_without_templates_render_in_a_plain_environment(
    tmp_path: Path,
) -> None:
    renderer = Renderer()
    assert type(renderer.environment(load_theme("classic"), "fr")) is jinja2.Environment
    assert not load_theme("classic").project_templates
    stylesheet_only = project_theme(tmp_path)
    assert not stylesheet_only.project_templates
    assert type(renderer.environment(stylesheet_only, "fr")) is jinja2.Environment


def test_a_theme_with_project_templates_renders_every_page_sandboxed(tmp_path: Path) -> None:
    theme = project_theme(tmp_path, {"partials/contact.html": "<address>{{ group.name }}</address>"})
    assert theme.project_templates
    env = Renderer().environment(theme, "fr")
    assert isinstance(env, untrusted.ProjectEnvironment) and env.sandboxed
    assert env.get_template("booking.html").__class__ is untrusted.TimedTemplate  # built-in ones too


def test_sandboxed_code_has_its_own_keys_in_the_shared_bytecode_cache(tmp_path: Path) -> None:
    # Jinja compiles calls unchecked for a plain environment: its code must never run sandboxed.
    renderer = Renderer()
    renderer.environment(load_theme("classic"), "fr").get_template("base.html")
    theme = project_theme(tmp_path, {"x.html": "{{ 1 }}"})
    renderer.environment(theme, "fr").get_template("base.html")
    plain = [k for k in renderer.templates.code if not k.startswith("sandboxed-")]
    assert len(plain) == 1 and set(renderer.templates.code) == {plain[0], "sandboxed-" + plain[0]}


# -- the sandbox --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe."),
        ("{{ cycler.__init__.__globals__ }}", "access to attribute '__init__' of 'type' object is unsafe."),
        ("{% set x = [] %}{{ x.append(1) }}", "access to attribute 'append' of 'list' object is unsafe."),
        (
            "{{ range(10**9) | length }}",
            "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).",
        ),
    ],
)
def test_reaching_python_internals_or_changing_data_is_a_located_template_error(
    tmp_path: Path, source: str, message: str
) -> None:
    theme = project_theme(tmp_path, {"x.html": "<p>\n\n" + source + "</p>\n"})
    template = tmp_path / "themes" / "mine" / "templates" / "x.html"
    assert problem_of(theme) == f"{template}:3: template error: {message}"


@pytest.mark.parametrize(
    ("expression", "refused"),
    [
        ("'x' * 1000000", False),
        ("'x' * 1000001", True),
        ("1000001 * [0]", True),
        ("2 ** 100000", False),
        ("2 ** 100001", True),
        ("10 ** (10 ** 10)", True),  # Jinja reads 10 ** 10 ** 10 as (10 ** 10) ** 10
        ("(2 ** 50000) * (2 ** 49998)", False),  # 50,001 + 49,999 bits
        ("(2 ** 50000) * (2 ** 49999)", True),
        ("(-1) ** 10 ** 9", False),
        ("2.5 * 4", False),
    ],
)
def test_repeating_and_powers_are_bounded_on_both_sides_of_the_limit(
    tmp_path: Path, expression: str, refused: bool
) -> None:
    theme = project_theme(tmp_path, {"x.html": "{% set v = " + expression + " %}ok"})
    if refused:
        assert "template error: the sandbox refuses a '" in problem_of(theme)
    else:
        assert Renderer().render(theme, "fr", "x.html", {}, "spa") == "ok"


# -- the time limit -----------------------------------------------------------------------------


def test_a_render_over_the_limit_is_stopped_where_the_template_was(
    tmp_path: Path, short_limit: float
) -> None:
    theme = project_theme(tmp_path, {"x.html": "<p>\n" + LOOP + "\n</p>"})
    started = time.monotonic()
    problem = problem_of(theme)
    template = tmp_path / "themes" / "mine" / "templates" / "x.html"
    assert problem == f"{template}:2: template error: rendering took longer than 0.3 s"
    assert short_limit <= time.monotonic() - started < short_limit + 5


def test_a_render_within_the_limit_is_untouched_and_leaves_nothing_armed(
    tmp_path: Path, short_limit: float
) -> None:
    theme = project_theme(tmp_path, {"x.html": "{{ n }}"})
    renderer = Renderer()
    for n in range(200):
        assert renderer.render(theme, "fr", "x.html", {"n": n}, "spa") == str(n)
    deadline = time.monotonic() + 2 * short_limit
    while time.monotonic() < deadline:  # bytecode runs here: a stray exception would land
        pass
    assert untrusted._watchdog.armed == {}


def test_the_limit_stops_a_render_in_another_thread(tmp_path: Path, short_limit: float) -> None:
    # bookgen serve renders on its event loop's thread, which is not the main one in tests.
    theme = project_theme(tmp_path, {"x.html": LOOP})
    seen: list[str] = []
    worker = threading.Thread(target=lambda: seen.append(problem_of(theme)))
    worker.start()
    worker.join(30)
    assert seen and seen[0].endswith("template error: rendering took longer than 0.3 s")


def _render_in_child(theme: Theme) -> str:
    return problem_of(theme)


def test_the_limit_stops_a_render_in_a_forked_worker_even_while_the_parent_times_one(
    tmp_path: Path, short_limit: float
) -> None:
    theme = project_theme(tmp_path, {"x.html": LOOP})
    parent = untrusted._watchdog.arm(60)  # as if forked during a render: the child starts afresh
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            problem = pool.apply(_render_in_child, (theme,))
    finally:
        assert parent is not None
        untrusted._watchdog.disarm(parent)
    assert problem.endswith("x.html:1: template error: rendering took longer than 0.3 s")


def test_a_render_inside_a_render_counts_towards_the_outer_one(tmp_path: Path, short_limit: float) -> None:
    env = untrusted.ProjectEnvironment(
        loader=jinja2.DictLoader({"inner": "{{ 1 }}", "outer": "{{ inner() }}"})
    )
    inner = env.get_template("inner")
    assert env.get_template("outer").render(inner=inner.render) == "1"
    assert untrusted._watchdog.armed == {}


def _watchdog_threads_in_child(plain: Theme, project: Theme) -> tuple[bool, bool, bool]:
    renderer = Renderer()
    renderer.environment(plain, "fr").from_string("{{ 1 }}").render()
    after_plain = untrusted._watchdog.thread is None
    renderer.render(project, "fr", "x.html", {}, "spa")
    first = untrusted._watchdog.thread
    renderer.render(project, "fr", "x.html", {}, "spa")
    return after_plain, first is not None and first.is_alive(), untrusted._watchdog.thread is first


def test_one_watchdog_thread_per_process_started_by_the_first_timed_render(tmp_path: Path) -> None:
    # In a forked child: it starts with no watchdog, whatever this process has.
    project = project_theme(tmp_path, {"x.html": "ok"})
    with multiprocessing.get_context("fork").Pool(1) as pool:
        none_for_plain, started, kept = pool.apply(
            _watchdog_threads_in_child, (load_theme("classic"), project)
        )
    assert none_for_plain and started and kept


def test_the_default_limit_is_30_seconds_and_the_message_says_so() -> None:
    assert untrusted.RENDER_SECONDS == 30.0
    assert str(untrusted.RenderTimeout()) == "rendering took longer than 30 s"
    assert isinstance(untrusted.RenderTimeout(), jinja2.TemplateError)  # located by template name if need be


# -- the file system and pydantic's machinery (breaker, 2026-12-05) -------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ p.read_text() }}",
        "{{ p.joinpath('/etc/passwd').read_text() }}",
        "{{ p.write_text('owned') }}",
        "{{ p['read_text']() }}",
        "{{ (p|attr('unlink'))() }}",
        "{{ m.parse_file('/etc/passwd') }}",  # pydantic's deprecated class method reads a file
        "{{ m.model_dump() }}",
        "{{ m.copy() }}",
    ],
)
def test_a_theme_template_cannot_reach_the_file_system_or_pydantics_machinery(
    tmp_path: Path, source: str
) -> None:
    from generator.models import Calendar

    target = tmp_path / "target.txt"
    target.write_text("secret", "utf-8")
    theme = project_theme(tmp_path, {"x.html": source})
    problem = problem_of(theme, p=target, m=Calendar(id=1, name="Camille"))
    assert "template error:" in problem and "secret" not in problem
    assert target.read_text("utf-8") == "secret"


def test_a_models_fields_and_bookgens_properties_stay_readable_in_the_sandbox(tmp_path: Path) -> None:
    from generator.models import Calendar

    theme = project_theme(tmp_path, {"x.html": "{{ m.name }} {{ m.label }} {{ m.id }}"})
    page = Renderer().render(theme, "fr", "x.html", {"m": Calendar(id=1, name="Camille")}, "spa")
    assert page == "Camille Camille 1"


def test_pages_get_no_object_that_holds_the_groups_files(minisite: Path) -> None:
    from generator.load.loader import GroupSource, load_site
    from generator.render.context import group_parts

    site = load_site(minisite)
    for source in site.groups:
        values = list(group_parts(site.config, source).values())
        while values:  # every value reachable through containers
            value = values.pop()
            assert not isinstance(value, GroupSource | PurePath)
            if isinstance(value, dict):
                values += value.values()
            elif isinstance(value, list | tuple):
                values += value


# -- a timeout that library code swallows ----------------------------------------------------------

SWALLOWING = "{% for i in range(100000) %}{% for j in range(100000) %}{% if loop is sequence %}{% endif %}{% endfor %}{% endfor %}"


def test_a_timeout_that_library_code_catches_is_raised_again_and_reported_where_it_was(
    tmp_path: Path, short_limit: float
) -> None:
    # Jinja's `is sequence` test catches Exception: a single raise can be swallowed.
    theme = project_theme(tmp_path, {"x.html": "<p>\n" + SWALLOWING + "\n</p>"})
    template = tmp_path / "themes" / "mine" / "templates" / "x.html"
    for _ in range(5):
        started = time.monotonic()
        problem = problem_of(theme)
        assert problem == f"{template}:2: template error: rendering took longer than 0.3 s"
        assert time.monotonic() - started < short_limit + 2


def test_a_render_that_swallowed_its_timeout_and_ended_late_is_still_a_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(untrusted, "RENDER_SECONDS", 0.05)
    monkeypatch.setattr(untrusted, "REFIRE_SECONDS", 60.0)  # one raise only, swallowed below
    theme = project_theme(tmp_path, {"x.html": "{% for i in range(3000) %}{% if loop is sequence %}{% endif %}{{ slow() }}{% endfor %}"})

    def slow() -> str:
        time.sleep(0.0001)
        return ""

    problem = problem_of(theme, slow=slow)
    assert problem.endswith("template error: rendering took longer than 0.05 s")


# -- one C call making a gigabyte: formats and widths (breaker, 2026-12-05) ------------------------


@pytest.mark.parametrize(
    ("expression", "refused"),
    [
        ("'%01000000d' % 1", False),
        ("'%01000001d' % 1", True),
        ("'%0999999999d'|format(1)", True),
        ("'%.1000001f' % 1.5", True),
        ("'%*d' % (5, 1)", True),
        ("'%(n)s and %%s' % {'n': 1}", False),
        ("'{:>1000000}'.format(1)", False),
        ("'{:>1000001}'.format(1)", True),
        ("'{:>999999999}'.format(1)", True),
        ("'{:{w}}'.format(1, w=5)", True),
        ("'{0:010d}'.format(7)", False),
        ("'x'|center(1000000)", False),
        ("'x'|center(1000001)", True),
        ("'a\\nb'|indent(1000001)", True),
        # A second breaker's gaps: a mapping key with brackets, gettext's formats, tojson.
        ("'%((a))1000001s' % {'(a)': 1}", True),
        ("'%((a))1000000s' % {'(a)': 1}", False),
        ("'%((a))1000001s'|format(**{'(a)': 1})", True),
        ("_('%(a)1000001s', a=1)", True),
        ("_('%(a)1000000s', a=1)", False),
        ("ngettext('%(num)1000001s', '%(num)s', 2)", True),
        ("[1]|tojson(indent=1000001)", True),
        ("[1]|tojson(indent=1000000)", False),
        ("'100%% of %(n)s' % {'n': 1}", False),
    ],
)
def test_formats_and_widths_are_bounded_on_both_sides_of_the_limit(
    tmp_path: Path, expression: str, refused: bool
) -> None:
    theme = project_theme(tmp_path, {"x.html": "{% set v = " + expression + " %}ok"})
    if refused:
        assert "template error: the sandbox refuses a" in problem_of(theme)
    else:
        assert Renderer().render(theme, "fr", "x.html", {}, "spa") == "ok"
