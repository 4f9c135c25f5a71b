"""Templates a site project brings (its themes' ``templates/``): sandboxed, and stopped
when one page takes too long to render.

bookgen's own templates (the built-in themes and the base ``templates/``) are trusted and
render in a plain Jinja environment. A theme whose chain includes a project's templates
(:attr:`generator.themes.Theme.project_templates`) renders every page, its built-in
templates included, in a :class:`ProjectEnvironment`:

- Jinja's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`: no attribute that starts
  with ``_`` (``''.__class__.__mro__``), no internals of functions, frames or generators,
  no method that changes a list, dict or set (``append``, ``update``), ``range()`` of at
  most :data:`~jinja2.sandbox.MAX_RANGE` (100,000) items. A refusal raises
  :class:`~jinja2.exceptions.SecurityError` (or ``OverflowError`` for ``range``) inside the
  template, which the renderer reports as a located one-line problem,
  ``themes/mine/templates/x.html:3: template error: access to attribute '__class__' of
  'str' object is unsafe.``
- ``*`` and ``**`` refuse, with ``SecurityError``, results over :data:`MAX_ITEMS` items
  (a string, list or tuple repeated) or :data:`MAX_INT_BITS` bits (an integer): each is
  one C-level operation, which nothing can interrupt (``'x' * 10**12``,
  ``10 ** (10 ** 10)``).
- :class:`TimedTemplate`: one page whose rendering runs over :data:`RENDER_SECONDS`
  (nested loops of 100,000 items each) is stopped with :class:`RenderTimeout` raised
  where the template was, ``...x.html:3: template error: rendering took longer than
  30 s``, like Hugo's ``timeout``. Tests lower the constant. A build stops at the first
  such page; ``bookgen check`` goes on with the next group, so a template that loops for
  every group costs the limit once per group there.

How the limit stops a render: one daemon watchdog thread per process (started by the
first timed render, made again in a forked worker, asleep while no render is timed) raises
:class:`RenderTimeout` in the rendering thread with CPython's
``PyThreadState_SetAsyncExc``. That works in whichever thread renders: the main thread of
``bookgen build`` and ``check``, the forked workers of a parallel build, and the thread
that runs ``bookgen serve``'s event loop (a test's server thread too), where a
``SIGALRM`` timer could not (signals reach the main thread only, and pytest-timeout uses
that one). What it cannot stop: a single long operation in C, which sees the exception
only when it returns (hence the ``*`` and ``**`` bounds above); memory is not limited.
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import re
import string
import threading
import time
from collections.abc import Iterator
from pathlib import PurePath
from types import CodeType, ModuleType
from typing import Any

import jinja2
import jinja2.bccache
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel

from .errors import BookgenError

__all__ = [
    "MAX_INT_BITS",
    "MAX_ITEMS",
    "RENDER_SECONDS",
    "ProjectEnvironment",
    "RenderTimeout",
    "TimedTemplate",
]

#: Longest one page of a project theme may take to render, in seconds.
RENDER_SECONDS = 30.0
#: Seconds between two raises of :class:`RenderTimeout` in a render that outlived its limit.
REFIRE_SECONDS = 0.1
#: Most items (characters of a string) a ``*`` may make in a project's template.
MAX_ITEMS = 1_000_000
#: Most bits of an integer a ``*`` or ``**`` may make in a project's template.
MAX_INT_BITS = 100_000


class RenderTimeout(BookgenError, jinja2.TemplateError):
    """A page took longer than :data:`RENDER_SECONDS` to render. Raised inside the
    template by the watchdog (made without arguments: the message reads the limit);
    :class:`TimedTemplate` raises the one that leaves a render with ``template_file``
    and ``template_line`` set to where the template was (or ``None``), for the renderer's
    one-line problem."""

    def __init__(self, template_file: str | None = None, template_line: int | None = None) -> None:
        super().__init__(f"rendering took longer than {RENDER_SECONDS:g} s")
        self.template_file = template_file
        self.template_line = template_line


class _Alarm:
    """One timed render: its thread, its deadline (``time.monotonic()``), whether it fired."""

    __slots__ = ("deadline", "fired", "ident")

    def __init__(self, ident: int, deadline: float) -> None:
        self.ident, self.deadline, self.fired = ident, deadline, False


def _raise_in(ident: int, error: type[BaseException] | None) -> None:
    """Have thread ``ident`` raise ``error`` at its next bytecode boundary (``None``
    withdraws an exception not raised yet)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(error) if error else None
    )


class _Watchdog:
    """Raises :class:`RenderTimeout` in threads whose render outlived its deadline.

    Everything shared is changed under :attr:`lock`. An alarm that fired stays armed and
    fires again every :data:`REFIRE_SECONDS` until its render ends: library code that
    catches ``Exception`` (Jinja's ``is sequence`` test, the sandbox's item lookup) may
    swallow one raise, not all of them. A render that ends just as its alarm fires
    withdraws the exception in :meth:`disarm`, or gets it on its way out, never in later
    code; :class:`TimedTemplate` reports any render whose alarm fired as a timeout.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.armed: dict[int, _Alarm] = {}  # thread ident → its outermost timed render
        self.wake = threading.Event()
        self.waiting_until = math.inf  # the deadline the thread sleeps until
        self.thread: threading.Thread | None = None

    def arm(self, seconds: float) -> _Alarm | None:
        """Time this thread's render; ``None`` when an outer render of it is timed already."""
        ident = threading.get_ident()
        with self.lock:
            if ident in self.armed:
                return None
            alarm = self.armed[ident] = _Alarm(ident, time.monotonic() + seconds)
            if self.thread is None:
                self.thread = threading.Thread(target=self._watch, name="bookgen-render-limit", daemon=True)
                self.thread.start()
            elif alarm.deadline < self.waiting_until:
                self.wake.set()
        return alarm

    def disarm(self, alarm: _Alarm) -> None:
        with self.lock:
            if self.armed.get(alarm.ident) is alarm:
                del self.armed[alarm.ident]
            if alarm.fired:
                _raise_in(alarm.ident, None)

    def _watch(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                for ident, alarm in list(self.armed.items()):
                    if alarm.deadline <= now:
                        alarm.fired = True
                        alarm.deadline = now + REFIRE_SECONDS
                        _raise_in(ident, RenderTimeout)
                self.waiting_until = min((a.deadline for a in self.armed.values()), default=math.inf)
                self.wake.clear()
                pause = None if math.isinf(self.waiting_until) else self.waiting_until - now
            self.wake.wait(pause)


_watchdog = _Watchdog()


def _after_fork() -> None:
    """A forked child has no watchdog thread, and may have a copy of a held lock."""
    global _watchdog
    _watchdog = _Watchdog()


os.register_at_fork(after_in_child=_after_fork)


class TimedTemplate(jinja2.Template):
    """A template whose :meth:`render` raises :class:`RenderTimeout` after
    :data:`RENDER_SECONDS` (read at each render); a render inside another one of the same
    thread counts towards the outer one's time."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        watchdog = _watchdog
        alarm = watchdog.arm(RENDER_SECONDS)
        try:
            try:
                page = super().render(*args, **kwargs)
            finally:
                if alarm is not None:
                    watchdog.disarm(alarm)
        except Exception as error:
            if alarm is None or not alarm.fired:
                raise
            # Whatever came out once the limit passed (the timeout itself, or an error of
            # code that caught it, or of Jinja's traceback rewriting), it is a timeout.
            raise RenderTimeout(*_where(_timeout_in(error) or error)) from None
        if alarm is not None and alarm.fired:  # swallowed every time, yet the page ran late
            raise RenderTimeout(self.filename or self.name)
        return page


def _timeout_in(error: BaseException) -> BaseException | None:
    """The :class:`RenderTimeout` among ``error`` and the errors it was raised while handling."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, RenderTimeout):
            return current
        seen.add(id(current))
        current = current.__context__
    return None


def _line_before(code: CodeType, offset: int) -> int | None:
    """The line of the last instruction at or before ``offset`` that has one. An exception
    raised from another thread can land on an instruction CPython gives no line (a loop's
    jump back), where a traceback's ``tb_lineno`` is ``None``."""
    line = None
    for start, _end, number in code.co_lines():
        if start > offset:
            break
        if number is not None:
            line = number
    return line


def _where(error: BaseException) -> tuple[str | None, int | None]:
    """The innermost template file and line of ``error``'s traceback: from the frames of
    compiled template code (their ``__jinja_template__`` maps a Python line back to the
    template's), or from the frames Jinja's traceback rewriting made (a template's own
    file and line); ``(None, None)`` when no template frame is there."""
    found: tuple[str | None, int | None] = (None, None)
    tb = error.__traceback__
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        filename = tb.tb_frame.f_code.co_filename
        line = tb.tb_lineno if tb.tb_lineno is not None else _line_before(tb.tb_frame.f_code, tb.tb_lasti)
        if line is not None and template is not None:
            found = (template.filename or template.name, template.get_corresponding_lineno(line))
        elif line is not None and not filename.endswith(".py") and not filename.startswith("<"):
            found = (filename, line)
        tb = tb.tb_next
    return found


class _OwnKeys(jinja2.BytecodeCache):
    """``cache`` (the renderer's), under keys of the sandbox's own.

    Jinja compiles calls and intercepted operators differently for a sandbox, and a
    cache's key is only the template's name, file and source: code compiled for a plain
    environment (by an older bookgen, or for a theme without project templates) must never
    be loaded into a sandboxed one, nor the other way round.
    """

    def __init__(self, cache: jinja2.BytecodeCache) -> None:
        self.cache = cache

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return "sandboxed-" + super().get_cache_key(name, filename)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.cache.load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.cache.dump_bytecode(bucket)


class ProjectEnvironment(ImmutableSandboxedEnvironment):
    """The environment of a theme with project templates: the immutable sandbox, bounded
    ``*`` and ``**``, :class:`TimedTemplate` pages, and its own keys in the bytecode cache
    it is given. Takes :class:`jinja2.Environment`'s options."""

    intercepted_binops = frozenset({"*", "**", "%"})
    template_class = TimedTemplate

    def __init__(self, **options: Any) -> None:
        if options.get("bytecode_cache") is not None:
            options["bytecode_cache"] = _OwnKeys(options["bytecode_cache"])
        super().__init__(**options)
        for name, check in (("format", _check_printf), ("center", _check_width), ("indent", _check_width),
                            ("tojson", _check_indent)):  # fmt: skip
            self.filters[name] = _checked(self.filters[name], check)

    def bound_gettext(self) -> None:
        """Check the messages of the installed ``_``, ``gettext``, ``ngettext`` ... like a
        ``%`` in the template: they are formats, applied in Python where :meth:`call_binop`
        does not see them (``_("%(a)1500000s", a=1)``). Called once they are installed."""
        for name in ("_", "gettext", "ngettext", "pgettext", "npgettext"):
            if name in self.globals:
                self.globals[name] = _checked_messages(self.globals[name])

    def wrap_str_format(self, value: Any) -> Any:
        """``str.format`` and ``format_map``, sandboxed as Jinja does, with widths and
        precisions of at most :data:`MAX_ITEMS` (``'{:>999999999}'.format(1)``)."""
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        _check_format_spec(value.__self__)
        return wrapper

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """The sandbox's rule, and none of: a file path's attributes (``read_text``,
        ``write_text``, ``unlink``: the file system), a module's or a class's, a module as a
        value, or pydantic's own machinery on a model (``parse_file`` reads a file,
        ``model_*``, ``copy``, ``json``): a model's fields and bookgen's properties stay."""
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, PurePath | ModuleType | type) or isinstance(value, ModuleType):
            return False
        return not (isinstance(obj, BaseModel) and attr not in type(obj).model_fields and hasattr(BaseModel, attr))

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            _check_product(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "%":
            _check_printf(left)
        return super().call_binop(context, operator, left, right)


# After a printf conversion's '%' and mapping key: flags, width, precision ('08.3', '*').
_PRINTF_SPEC = re.compile(r"[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")


def _printf_numbers(text: str) -> Iterator[str]:
    """The widths and precisions of ``text``'s printf conversions, read as Python's ``%``
    reads them: a mapping key runs to its matching ``)``, brackets nested inside it."""
    at = text.find("%")
    while at != -1:
        at += 1
        if text.startswith("(", at):
            depth = 0
            while at < len(text):
                depth += {"(": 1, ")": -1}.get(text[at], 0)
                at += 1
                if depth == 0:
                    break
        spec = _PRINTF_SPEC.match(text, at)
        if spec:
            yield from (part for part in spec.groups() if part)
            at = spec.end()
        if text.startswith("%", at):  # '%%', or a '%' conversion
            at += 1
        at = text.find("%", at)


def _too_wide(number: str) -> bool:
    digits = number.lstrip("0")
    return number == "*" or len(digits) > len(str(MAX_ITEMS)) or (digits.isdigit() and int(digits) > MAX_ITEMS)


def _check_printf(value: Any, *_: Any, **__: Any) -> None:
    """Refuse a ``%`` format whose width or precision is over :data:`MAX_ITEMS` (or given
    by ``*``): ``'%0999999999d' % 1`` is one C call making a gigabyte."""
    if isinstance(value, str) and any(_too_wide(part) for part in _printf_numbers(value)):
        raise SecurityError(f"the sandbox refuses a format wider than {MAX_ITEMS} characters")


def _check_format_spec(value: str) -> None:
    """The same for ``str.format``'s specs (``{:>999999999}``); a spec made of other fields
    (``{:{width}}``) is refused too."""
    try:
        specs = [spec for _, _, spec, _ in string.Formatter().parse(value) if spec]
    except ValueError:
        return  # Python's own error comes when it is called
    if any("{" in spec or any(_too_wide(n) for n in _DIGITS.findall(spec)) for spec in specs):
        raise SecurityError(f"the sandbox refuses a format wider than {MAX_ITEMS} characters")


def _check_width(value: Any, width: Any = 0, *_: Any, **__: Any) -> None:
    """``center`` and ``indent``: a width of at most :data:`MAX_ITEMS`."""
    if isinstance(width, int) and width > MAX_ITEMS:
        raise SecurityError(f"the sandbox refuses a width over {MAX_ITEMS} characters")


def _check_indent(*args: Any, **kwargs: Any) -> None:
    """``tojson(eval_ctx, value, indent=None)``: an indent of at most :data:`MAX_ITEMS`
    (a string indent, its length)."""
    indent = kwargs.get("indent", args[2] if len(args) > 2 else None)
    if (isinstance(indent, int) and indent > MAX_ITEMS) or (isinstance(indent, str) and len(indent) > MAX_ITEMS):
        raise SecurityError(f"the sandbox refuses an indent over {MAX_ITEMS} characters")


def _checked_messages(function: Any) -> Any:
    """A gettext function whose message arguments (every positional string) are checked
    by :func:`_check_printf` first; Jinja's pass-arg marker is kept."""

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        for value in args:
            _check_printf(value)
        return function(*args, **kwargs)

    return checked


def _checked(filter_: Any, check: Any) -> Any:
    """``filter_`` (a Jinja filter) run after ``check`` of its arguments."""

    @functools.wraps(filter_)
    def checked(*args: Any, **kwargs: Any) -> Any:
        check(*args, **kwargs)
        return filter_(*args, **kwargs)

    return checked


def _check_product(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if abs(left).bit_length() + abs(right).bit_length() > MAX_INT_BITS:
            raise SecurityError(f"the sandbox refuses a '*' of over {MAX_INT_BITS} bits")
        return
    for times, items in ((left, right), (right, left)):
        if (
            isinstance(times, int)
            and isinstance(items, str | bytes | list | tuple)
            and len(items) * times > MAX_ITEMS
        ):
            raise SecurityError(f"the sandbox refuses a '*' of over {MAX_ITEMS} items")


def _check_power(left: Any, right: Any) -> None:
    if not (isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0):
        return
    if (abs(left).bit_length() - 1) * right > MAX_INT_BITS:
        raise SecurityError(f"the sandbox refuses a '**' of over {MAX_INT_BITS} bits")
