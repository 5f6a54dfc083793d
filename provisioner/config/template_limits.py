"""A Jinja2 sandbox with bounded time and memory, for templates from untrusted pull requests.

On top of jinja2's ImmutableSandboxedEnvironment (no attribute escapes, no mutation of lists
and dicts): `lipsum` is gone; `*`, `**`, `+` and `%` refuse results longer than
MAX_TEMPLATE_VALUE (also at compile time: jinja2 does not fold intercepted operators); every call
and filter refuses integer arguments or string/list arguments over that size and checks the
render deadline; `join`, `replace`, `center`, `indent`, `wordwrap` check their result size
before building it. `RenderBudget` bounds the rendered text and the render time (with SIGALRM
when rendering on the main thread, so even a loop that produces nothing ends).
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from jinja2 import Environment, TemplateError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from provisioner.config.limits import MAX_RENDER_CHARS, MAX_RENDER_SECONDS, MAX_TEMPLATE_VALUE, wall_alarm


class TemplateLimitError(TemplateError):
    """A template passed a render limit (time, output size or value size)."""


def _sized(value: object) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict) else 0


def _check_int(value: object) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_TEMPLATE_VALUE:
        raise TemplateLimitError(f"a size argument above {MAX_TEMPLATE_VALUE} is not allowed in templates")


def _check_value(value: object) -> None:
    if _sized(value) > MAX_TEMPLATE_VALUE:
        raise TemplateLimitError(f"a value longer than {MAX_TEMPLATE_VALUE} is not allowed in templates")


def _check_result(size: int, what: str) -> None:
    if size > MAX_TEMPLATE_VALUE:
        raise TemplateLimitError(f"{what} would be {size} long; the limit is {MAX_TEMPLATE_VALUE}")


def _precheck(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Result sizes of the amplifying string operations, computed before they run."""
    if name == "join" and isinstance(value, list | tuple):
        sep = args[0] if args else kwargs.get("d", "")
        _check_result(sum(len(str(v)) for v in value) + len(str(sep)) * len(value), "join")
    elif name == "replace" and isinstance(value, str) and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        count = value.count(old) if old else len(value) + 1
        _check_result(len(value) + count * max(len(new) - len(old), 0), "replace")
    elif name in ("center", "ljust", "rjust", "zfill", "truncate", "batch", "slice", "expandtabs"):
        for arg in (*args, *kwargs.values()):
            _check_int(arg)
    elif name in ("indent", "wordwrap") and isinstance(value, str):
        width = args[0] if args and isinstance(args[0], int) else 4
        _check_int(width)
        _check_result(len(value) + (value.count("\n") + 1) * max(width, 1) * 2, name)


def _widths(text: str) -> list[int]:
    """Every run of digits in a format string (an upper bound on the widths it asks for)."""
    return [int(w[:12]) for w in re.findall(r"\d+", text)]


class RenderBudget:
    """The deadline of the render in progress (one per thread)."""

    _local = threading.local()
    seconds = MAX_RENDER_SECONDS
    chars = MAX_RENDER_CHARS

    @classmethod
    def check(cls) -> None:
        deadline = getattr(cls._local, "deadline", None)
        if deadline is not None and time.monotonic() > deadline:
            raise TemplateLimitError(f"rendering took longer than {cls.seconds:g} s")

    @classmethod
    def render(cls, chunks: Callable[[], Iterator[str]]) -> str:
        """Join the chunks of a render within MAX_RENDER_CHARS and MAX_RENDER_SECONDS."""
        cls._local.deadline = time.monotonic() + cls.seconds
        try:
            with wall_alarm(cls.seconds, _too_long):
                out: list[str] = []
                size = 0
                for chunk in chunks():
                    size += len(chunk)
                    if size > cls.chars:
                        raise TemplateLimitError(f"the template renders to more than {cls.chars} characters")
                    out.append(chunk)
                    cls.check()
                return "".join(out)
        finally:
            cls._local.deadline = None


def _too_long() -> TemplateLimitError:
    return TemplateLimitError(f"rendering took longer than {RenderBudget.seconds:g} s")


class BoundedNamespace(Namespace):
    """`namespace()` whose attributes cannot grow past MAX_TEMPLATE_VALUE (`{% set ns.s = ns.s ~ ns.s %}`)."""

    def __setitem__(self, name: str, value: Any) -> None:
        RenderBudget.check()
        _check_value(value)
        super().__setitem__(name, value)


def _bounded_range(*args: int) -> range:
    for arg in args:
        _check_int(arg)
    result = range(*args)
    _check_result(len(result), "range")
    return result


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        RenderBudget.check()
        plain = [a for a in args if not isinstance(a, Context | EvalContext | Environment)]
        for arg in (*plain, *kwargs.values()):
            _check_value(arg)
        value = plain[0] if plain else None
        _precheck(name, value, tuple(plain[1:]), kwargs)
        result = func(*args, **kwargs)
        _check_value(result)
        return result

    return guarded


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The project's template environment: sandboxed, immutable, bounded (see the module doc)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)
        self.globals["range"] = _bounded_range
        self.globals["namespace"] = BoundedNamespace
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}

    def add_filter(self, name: str, func: Callable[..., Any]) -> None:
        self.filters[name] = _guard_filter(name, func)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        RenderBudget.check()
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if _sized(seq) and isinstance(times, int):
                    _check_result(_sized(seq) * max(times, 0), "repetition")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and abs(left).bit_length() * right > 64 * 1024:
                raise TemplateLimitError("the power is too large for a template")
        elif operator == "+":
            _check_result(_sized(left) + _sized(right), "concatenation")
        elif operator == "%" and isinstance(left, str):
            values = right if isinstance(right, tuple) else (right,)
            for value in values:
                _check_value(value)
            if "*" in left or any(w > MAX_TEMPLATE_VALUE for w in _widths(left)):
                raise TemplateLimitError("a format width above the template value limit")
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        target = getattr(value, "__self__", None)
        if isinstance(target, str) and getattr(value, "__name__", "") in ("format", "format_map") and any(
                w > MAX_TEMPLATE_VALUE for w in _widths(target)):
            raise TemplateLimitError("a format width above the template value limit")
        return super().wrap_str_format(value)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        RenderBudget.check()
        for arg in (*args, *kwargs.values()):
            _check_value(arg)
        name = getattr(__obj, "__name__", "")
        target = getattr(__obj, "__self__", None)
        if isinstance(target, str) and name in ("join", "replace", "center", "ljust", "rjust", "zfill"):
            if name == "join" and args and isinstance(args[0], list | tuple):
                _precheck("join", list(args[0]), (target,), {})
            else:
                _precheck(name, target, args, kwargs)
        if isinstance(target, str) and name in ("format", "format_map", "expandtabs") and (
                any(w > MAX_TEMPLATE_VALUE for w in _widths(target)) or name == "expandtabs"):
            raise TemplateLimitError(f"str.{name} with a width is not allowed in templates")
        result = super().call(__context, __obj, *args, **kwargs)
        _check_value(result)
        return result
