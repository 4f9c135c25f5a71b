"""The renderer: Jinja environments, compiled templates, and the rendering of one page.

One environment per (theme, locale): the loader follows the theme's search path,
gettext is installed for the locale, and autoescape is on for every template. A
:class:`Renderer` owns its environments and its compiled-template cache, so a fresh
Renderer *is* the reset (the preview makes a new one when a theme changes); nothing of
it lives in a module global.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import traceback
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .. import __version__
from ..errors import Problem, SiteError
from ..i18n import translations
from ..publish.atomic import replace_file
from ..themes import Theme
from .gettext import template_gettext
from .snippets import Loader
from .static import embed_loader

__all__ = ["Renderer", "TemplateCache", "json_script", "template_problem"]


def json_script(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>`` breakout)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates shared by every environment of one :class:`Renderer`, and
    optionally kept on disk between builds.

    The environments differ only in their gettext catalog, so each template is compiled
    once, not once per locale; with a ``folder`` (a build passes the private cache beside
    OUT, :mod:`generator.publish.cachedir`) the next build's fresh interpreter loads them
    instead of compiling again, which is most of a one-group rebuild.

    An entry on disk is loaded only when its sha256 is in ``trusted`` (the hashes of the
    entries this user's builds wrote, kept in the cache's state), and any failure to load
    it just means compiling again: a corrupt entry, or one planted by whoever can write
    beside OUT, is never unpickled or executed. Entries written are recorded in
    :attr:`written` (entry name → sha256) for the build to save.
    """

    def __init__(self, folder: Path | None = None, trusted: dict[str, str] | None = None) -> None:
        self.code: dict[str, bytes] = {}
        self.folder = folder
        self.trusted = dict(trusted or {})
        self.written: dict[str, str] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is None and self.folder is not None and bucket.key in self.trusted:
            with contextlib.suppress(OSError):
                raw = (self.folder / bucket.key).read_bytes()
                if hashlib.sha256(raw).hexdigest() == self.trusted[bucket.key]:
                    code = raw
        if code is not None:
            try:
                bucket.bytecode_from_string(code)
            except Exception:  # whatever is wrong with an entry, compile again
                bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code[bucket.key] = bucket.bytecode_to_string()
        if self.folder is not None:
            with contextlib.suppress(OSError):
                replace_file(self.folder / bucket.key, code)
                self.written[bucket.key] = hashlib.sha256(code).hexdigest()


class Renderer:
    """Renders pages: owns one Jinja environment per (theme, locale) and their compiled
    templates (:class:`TemplateCache`, on disk in ``cache_folder`` when given, entries
    loaded only if their sha256 is in ``trusted``)."""

    def __init__(self, cache_folder: Path | None = None, trusted: dict[str, str] | None = None) -> None:
        self.templates = TemplateCache(cache_folder, trusted)
        self._environments: dict[tuple[Theme, str], jinja2.Environment] = {}

    def environment(self, theme: Theme, locale: str) -> jinja2.Environment:
        """The Jinja environment for one theme and locale (made on first use)."""
        env = self._environments.get((theme, locale))
        if env is None:
            env = self._environments[theme, locale] = self._make_environment(theme, locale)
        return env

    def _make_environment(self, theme: Theme, locale: str) -> jinja2.Environment:
        from ..untrusted import ProjectEnvironment  # a project's templates: sandboxed, time-limited

        env = (ProjectEnvironment if theme.project_templates else jinja2.Environment)(
            bytecode_cache=self.templates,
            loader=jinja2.FileSystemLoader([str(p) for p in theme.template_dirs]),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
        env.globals.update(template_gettext(translations(locale)))  # the same results, a third of the calls
        if isinstance(env, ProjectEnvironment):
            env.bound_gettext()
        env.filters["json_script"] = json_script
        env.globals["bookgen_version"] = __version__
        return env

    @functools.cached_property
    def embed_loader(self) -> Loader:
        """The versioned embed loader and its SRI hash (read once per renderer)."""
        return embed_loader()

    def render(self, theme: Theme, locale: str, template: str, context: dict[str, Any], where: str) -> str:
        """``template`` rendered with ``context``. Raises :class:`SiteError` with the template
        file and line when a theme's template fails (``where``, the group's slug or page,
        locates a failure before any template code ran); a fault of bookgen itself propagates."""
        try:
            return self.environment(theme, locale).get_template(template).render(context)
        except Exception as error:  # a theme's template may fail in any way while rendering
            problem = template_problem(error, template, where)
            if problem is None:
                raise
            raise SiteError([problem]) from None


def template_problem(error: Exception, name: str, where: str = "") -> Problem | None:
    """The template file and line where rendering ``name`` failed with ``error``, as a
    problem (``themes/mine/templates/partials/contact.html:1: template error: ...``);
    ``None`` when no template frame is in its traceback (a fault of bookgen itself).
    ``where`` (the group's slug) locates a Jinja error raised before any template ran.

    Jinja gives each frame of compiled template code the template's file name and line
    (its traceback rewriting), so the innermost such frame is the expression that failed,
    in whichever include, macro or parent template it was.
    """
    if isinstance(error, jinja2.TemplateSyntaxError):
        message = f"template syntax error: {error.message}"
        return Problem(error.filename or name, "", message, error.lineno)
    if getattr(error, "template_file", None):  # generator.untrusted.RenderTimeout, located
        return Problem(error.template_file, "", f"template error: {error}", error.template_line)  # type: ignore[attr-defined]
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.endswith(".py") and not frame.filename.startswith("<")
    ]  # fmt: skip
    if not frames:
        if isinstance(error, jinja2.TemplateError):  # raised before any template code ran
            return Problem(name, where, f"template error: {error}")
        return None
    text = str(error) or type(error).__name__
    if isinstance(error, MemoryError):
        text = "rendering ran out of memory"
    if isinstance(error, RecursionError):
        text = "templates include or call each other without end"
    return Problem(frames[-1].filename, "", f"template error: {text}", frames[-1].lineno)
