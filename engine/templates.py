"""The one Jinja2 environment analyst templates run in: sandboxed, and bounded in size and time.

Rule actions (``notify wecom "..."``, task titles, SMS texts) and flow ``notify`` nodes are
templates written by analysts.  Jinja's sandbox already stops attribute tricks and file access;
this module adds what the sandbox leaves open, so a saved template can neither hang a check or
the service nor exhaust memory:

* arithmetic is intercepted (``**``, ``*``, ``+``, ``%``), which also stops Jinja from folding
  ``9 ** (9 ** 8)`` at compile time: an integer may not grow past :data:`MAX_INT_BITS` bits, and
  a text or list past :data:`MAX_TEXT` characters or items, checked *before* it is built;
* every buffer join (the output, ``{% set %}`` blocks, macro results, ``~``) stops as soon as it
  passes :data:`MAX_TEXT` characters;
* every call, filter and loop iteration spends one step of a per-render budget
  (:data:`MAX_STEPS`), and a render stops after :data:`MAX_SECONDS`;
* ``include``, ``import`` and ``extends`` are refused when the template is checked (there is no
  loader: a template is one text).

:func:`check_template` is the load-time check both rules and flows use: syntax, refused tags,
unknown filters and tests, and a trial render against sample data, each a positioned error.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError, TemplateRuntimeError, TemplateSyntaxError
from jinja2 import nodes as jn
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: Longest text (characters) or list (items) a template may build, its output included.
MAX_TEXT = 100_000
#: Largest integer a template may compute, in bits (about 300 decimal digits).
MAX_INT_BITS = 1024
#: Calls, filters and loop iterations one render may perform.
MAX_STEPS = 100_000
#: Wall-clock time one render may take.
MAX_SECONDS = 2.0

_WIDE_FORMAT = re.compile(r"\d{6,}")
_NESTED_FIELD = re.compile(r"\{[^{}]*\{")
_WIDTHS = frozenset({"center", "ljust", "rjust", "zfill", "slice", "batch"})


class TemplateLimitError(TemplateRuntimeError):
    """A template went past one of this module's limits."""


@dataclass
class _Budget:
    steps: int = 0
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)


_BUDGET: ContextVar[_Budget | None] = ContextVar("orderhub_template_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is None:
        return
    budget.steps += 1
    if budget.steps > MAX_STEPS:
        raise TemplateLimitError(f"template does more than {MAX_STEPS} steps (calls, filters "
                                 "and loop turns)")
    if budget.steps % 512 == 0 and time.monotonic() > budget.deadline:
        raise TemplateLimitError(f"template takes longer than {MAX_SECONDS:g} s to render")


def _sized(value: Any) -> Any:
    """``value``, unless it is a text or collection longer than :data:`MAX_TEXT`."""
    if isinstance(value, str | bytes | list | tuple | dict | set) and len(value) > MAX_TEXT:
        raise TemplateLimitError(f"template builds a value of {len(value)} characters or items "
                                 f"(at most {MAX_TEXT})")
    if isinstance(value, int) and not isinstance(value, bool) and \
            value.bit_length() > MAX_INT_BITS:
        raise TemplateLimitError(f"template computes a number over {MAX_INT_BITS} bits")
    return value


def _concat(parts: Iterable[str]) -> str:
    """``"".join`` that stops as soon as the text passes :data:`MAX_TEXT` characters."""
    out: list[str] = []
    size = 0
    for part in parts:
        size += len(part)
        if size > MAX_TEXT:
            raise TemplateLimitError(f"template output is longer than {MAX_TEXT} characters")
        out.append(part)
    return "".join(out)


def _precheck(name: str, subject: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a call whose result would pass :data:`MAX_TEXT` before it is built: ``subject``
    is the text or list worked on (a filter's value, a method's object)."""
    size = len(subject) if isinstance(subject, str | list | tuple) else 0
    ints = [abs(a) for a in (*args, *kwargs.values())
            if isinstance(a, int) and not isinstance(a, bool)]
    worst = size
    if name in _WIDTHS:
        worst = max([size, *ints])
    elif name in ("lipsum", "generate_lorem_ipsum"):
        n, most = (ints + [5])[0], max([100, *ints[2:3]])
        worst = n * most * 12
    elif name == "expandtabs" and isinstance(subject, str):
        worst = size + subject.count("\t") * max([8, *ints])
    elif name == "indent" and isinstance(subject, str):
        width = args[0] if args else kwargs.get("width", 4)
        each = len(width) if isinstance(width, str) else abs(int(width or 0))
        worst = size + (subject.count("\n") + 1) * each
    elif name == "wordwrap" and isinstance(subject, str):
        width = max([1, *ints[:1]])
        wrap = kwargs.get("wrapstring") or next((a for a in args[2:] if isinstance(a, str)), "\n")
        worst = size + (size // width + 1) * len(wrap)
    elif name == "replace" and isinstance(subject, str) and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        worst = size + (size // max(len(old), 1) + 1) * len(new)
    elif name == "sum" and isinstance(subject, list | tuple):
        worst = sum(len(x) for x in subject if isinstance(x, str | list | tuple))
    elif name in ("format", "format_map"):
        _check_format(subject, args)
    if worst > MAX_TEXT:
        raise TemplateLimitError(f"{name}() could build over {MAX_TEXT} characters or items")


def _check_join(items: Any, sep: Any) -> None:
    if isinstance(sep, str) and hasattr(items, "__len__") and len(sep) * len(items) > MAX_TEXT:
        raise TemplateLimitError(f"join() would build over {MAX_TEXT} characters")


def _check_format(fmt: Any, args: tuple[Any, ...]) -> None:
    """``"%9999999d" % x``, ``"{:>9999999}".format(x)``, ``"%*d" % (9999999, x)``,
    ``"{:{}}".format(x, 9999999)``."""
    if not isinstance(fmt, str):
        return
    if _WIDE_FORMAT.search(fmt):
        raise TemplateLimitError("format: field widths over 5 digits are refused")
    if "*" in fmt or _NESTED_FIELD.search(fmt):
        for arg in args:
            if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_TEXT:
                raise TemplateLimitError(f"format: a width of {arg} is over {MAX_TEXT}")


def _is_plain(value: Any) -> bool:
    """Not the context or environment Jinja passes to some filters."""
    return not hasattr(value, "environment") and not hasattr(value, "autoescape")


def _bounded_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        _tick()
        plain = [a for a in args if _is_plain(a)]
        if plain:
            _precheck(name, plain[0], tuple(plain[1:]), kwargs)
            if name == "join":
                _check_join(plain[0], plain[1] if len(plain) > 1 else kwargs.get("d", ""))
        return _sized(fn(*args, **kwargs))

    return run


def _metered(items: Any) -> Iterator[Any]:
    """What a ``{% for %}`` loop iterates: the same items, one budget step each."""
    for item in items:
        _tick()
        yield item


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with every ``for`` loop metered and every ``~`` bounded."""

    def visit_Template(self, node: jn.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(jn.For):
            if not (isinstance(loop.iter, jn.Filter) and loop.iter.name == "_metered"):
                loop.iter = jn.Filter(loop.iter, "_metered", [], [], None, None,
                                      lineno=loop.iter.lineno)
        super().visit_Template(node, frame)

    def visit_Concat(self, node: jn.Concat, frame: Frame) -> None:
        self.write("environment.sized(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedTemplate(Template):
    """A template whose every render has its own step and time budget."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        token = _BUDGET.set(_Budget())
        try:
            return super().render(*args, **kwargs)
        finally:
            _BUDGET.reset(token)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with arithmetic, size, step and time limits (see the module docstring)."""

    code_generator_class = _CodeGenerator
    template_class = BoundedTemplate
    intercepted_binops = frozenset({"**", "*", "+", "%"})
    concat = staticmethod(_concat)  # type: ignore[assignment]
    sized = staticmethod(_sized)

    def __init__(self) -> None:
        super().__init__(autoescape=False, keep_trailing_newline=False)
        self.filters = {name: _bounded_filter(name, fn) for name, fn in self.filters.items()}
        self.filters["_metered"] = _metered

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "**":
            _check_power(left, right)
            return _sized(left**right)
        if operator == "*":
            _check_product(left, right)
            return _sized(left * right)
        if operator == "%":
            _check_format(left, right if isinstance(right, tuple) else (right,))
            return _sized(left % right)
        return _sized(left + right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _tick()
        name = getattr(__obj, "__name__", "")
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str | list | tuple):
            _precheck(name, owner, args, kwargs)
            if name == "join" and args:
                _check_join(args[0], owner)
        elif name in ("generate_lorem_ipsum", "lipsum"):
            _precheck(name, None, args, kwargs)
        return _sized(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        owner = getattr(value, "__self__", None)
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None

        def bounded(*args: Any, **kwargs: Any) -> str:
            _check_format(owner, args)
            return _sized(wrapped(*args, **kwargs))  # type: ignore[no-any-return]

        return bounded


def _check_power(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        if left.bit_length() * right > MAX_INT_BITS:
            raise TemplateLimitError(f"{left} ** {right} is over {MAX_INT_BITS} bits")
    elif isinstance(right, int | float) and abs(right) > MAX_INT_BITS:
        raise TemplateLimitError(f"the exponent {right} is over {MAX_INT_BITS}")


def _check_product(left: Any, right: Any) -> None:
    for a, b in ((left, right), (right, left)):
        if isinstance(a, str | list | tuple) and isinstance(b, int) and len(a) * b > MAX_TEXT:
            raise TemplateLimitError(f"this repeats a text or list to over {MAX_TEXT} "
                                     "characters or items")
    if isinstance(left, int) and isinstance(right, int) and \
            left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise TemplateLimitError(f"this product is over {MAX_INT_BITS} bits")


#: The environment every analyst template is compiled in (rules and flows alike).
ENV = BoundedEnvironment()

_REFUSED_TAGS: dict[type[jn.Node], str] = {
    jn.Include: "include", jn.Import: "import", jn.FromImport: "from ... import",
    jn.Extends: "extends",
}


@dataclass
class TemplateProblem:
    """A mistake in a template: ``line`` is the template's own line (1-based)."""

    message: str
    line: int = 1
    hint: str | None = None


def check_template(text: str, samples: Iterable[dict[str, Any]] = (),
                   strict: bool = True) -> tuple[Template | None, list[TemplateProblem]]:
    """Compile ``text`` and try it on each sample context.

    Returns the template (None when it cannot be used) and its problems.  ``strict``: any error
    of a trial render is a problem (rules, whose templates see only the order); otherwise only
    limit and sandbox errors are (flows, whose variables the samples can only guess).
    """
    try:
        tree = ENV.parse(text)
    except TemplateSyntaxError as exc:
        return None, [TemplateProblem(exc.message or str(exc), exc.lineno or 1)]
    for kind, word in _REFUSED_TAGS.items():
        for node in tree.find_all(kind):
            return None, [TemplateProblem(f"'{word}' is not allowed: a template is one text",
                                          node.lineno,
                                          "write the text in the template itself")]
    try:
        template = ENV.from_string(text)
    except TemplateSyntaxError as exc:  # unknown filters and tests
        return None, [TemplateProblem(exc.message or str(exc), exc.lineno or 1)]
    except (RecursionError, MemoryError):
        return None, [TemplateProblem("template is nested too deeply")]
    for sample in samples:
        problem = _trial(template, sample, strict)
        if problem is not None:
            return template, [problem]
    return template, []


def _trial(template: Template, sample: dict[str, Any], strict: bool) -> TemplateProblem | None:
    try:
        template.render(sample)
    except TemplateLimitError as exc:
        return TemplateProblem(str(exc), _template_line(exc))
    except RecursionError:
        return TemplateProblem("template recurses without end (a macro calling itself?)")
    except TemplateError as exc:
        if strict or "unsafe" in str(exc) or "not safely" in str(exc):
            return TemplateProblem(str(exc), _template_line(exc))
    except Exception as exc:  # noqa: BLE001 - any failure on sample data is the author's to fix
        if strict:
            return TemplateProblem(f"fails on a sample order: {type(exc).__name__}: {exc}",
                                   _template_line(exc))
    return None


def _template_line(exc: BaseException) -> int:
    """The template line a render error came from (Jinja rewrites tracebacks to it)."""
    tb = exc.__traceback__
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render(template: Template, context: dict[str, Any]) -> str:
    """Render with the limits; errors surface as :class:`TemplateError` or the Python error."""
    return template.render(context)


def template_paths(tree: Any, roots: tuple[str, ...]) -> list[tuple[str, list[str], int]]:
    """Every ``root.a.b`` a parsed template reads (``root`` one of ``roots``), with its line:
    the longest chains only (``order.receiver.name`` also holds ``order.receiver``)."""
    out: list[tuple[str, list[str], int]] = []
    for node in tree.find_all(jn.Getattr):
        path: list[str] = []
        cur: Any = node
        while isinstance(cur, jn.Getattr):
            path.insert(0, cur.attr)
            cur = cur.node
        if isinstance(cur, jn.Name) and cur.name in roots:
            out.append((cur.name, path, node.lineno))
    return [p for p in out if not any(q[0] == p[0] and q[1][: len(p[1])] == p[1]
                                      and len(q[1]) > len(p[1]) for q in out)]

