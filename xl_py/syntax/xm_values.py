"""Values of the xm evaluator: literals with Python 2 semantics, the bounded
operators, '%' formatting and the safe ``re`` calls (used by xl_py.syntax.xm).

Every function here works on plain data (str, int, float, bool, None, list,
tuple, dict) and refuses, before computing it, any result larger than the
limits below: nothing here can run user code or exhaust memory.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Callable
from typing import Any

MAX_NESTING = 64  # brackets inside brackets
MAX_SIZE = 1 << 20  # characters / items in one value
MAX_INT_BITS = 65536
MAX_FORMAT_WIDTH = 4096
MAX_REGEX_SUBJECT = 1024

Value = Any  # str | int | float | bool | None | list | tuple | dict of those


class Skip(Exception):
    """Raised inside the evaluator: the current statement is reported and skipped."""

    def __init__(self, message: str, start: int, end: int, code: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
        self.code = code
        self.hint = hint


def span(node: Any) -> tuple[int, int]:
    if hasattr(node, "start_pos"):
        return int(node.start_pos or 0), int(node.end_pos or 0)
    meta = getattr(node, "meta", None)
    if meta is None or getattr(meta, "empty", True):
        return 0, 0
    return int(meta.start_pos), int(meta.end_pos)


def unsafe(node: Any, what: str, hint: str | None = None) -> Skip:
    start, end = span(node)
    return Skip(f"{what}: not run", start, end, "unsafe", hint)


def bounded(value: Value, node: Any) -> Value:
    """Refuse values bigger than MAX_SIZE characters/items or MAX_INT_BITS bits."""
    kind = type(value)
    if kind is str:
        if len(value) > MAX_SIZE:
            raise unsafe(node, f"value larger than {MAX_SIZE} characters/items")
    elif kind is int:
        if value.bit_length() > MAX_INT_BITS:
            raise unsafe(node, f"integer larger than {MAX_INT_BITS} bits")
    elif kind in (list, tuple, dict) and size_of(value, 0) > MAX_SIZE:
        raise unsafe(node, f"value larger than {MAX_SIZE} characters/items")
    return value


def size_of(value: Value, depth: int) -> int:
    if isinstance(value, str | bytes):
        return len(value)
    if depth > MAX_NESTING:
        return MAX_SIZE + 1
    if isinstance(value, list | tuple):
        total = len(value)
        for item in value:
            total += size_of(item, depth + 1)
            if total > MAX_SIZE:
                break
        return total
    if isinstance(value, dict):
        return sum(size_of(k, depth + 1) + size_of(v, depth + 1) for k, v in value.items())
    return 1


def parse_number(text: str) -> int | float | complex:
    """A Python 2 numeric literal: ``0755`` octal, ``10L`` long."""
    body = text.rstrip("lL") if text[-1:] in "lL" and not text.lower().startswith("0x") else text
    if body.lower().startswith("0x") and body[-1:] in "lL":
        body = body[:-1]
    if body.isdigit() and body.isascii():
        return int(body, 8) if body[0] == "0" and len(body) > 1 else int(body)  # ValueError: 09
    try:
        value = ast.literal_eval(body)
    except SyntaxError:
        raise ValueError(f"invalid number {text!r}") from None
    if not isinstance(value, int | float | complex):
        raise ValueError(f"invalid number {text!r}")
    return value


def parse_string(text: str) -> str:
    """One Python string token (any prefix); bytes literals read as text."""
    if "\\" not in text and "\r" not in text and text[0] in "'\"":
        quote = 3 if text[:3] in ('"""', "'''") else 1  # no escapes: the body verbatim
        return text[quote:-quote]
    prefix_len = len(text) - len(text.lstrip("uUbBrR"))
    prefix = text[:prefix_len].lower()
    body = ("r" if "r" in prefix else "") + text[prefix_len:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = ast.literal_eval(body)
        except (SyntaxError, ValueError) as exc:  # e.g. '\x' (Python 2: invalid \x escape)
            reason = str(getattr(exc, "msg", exc)).rpartition(": ")[2]
            raise ValueError(f"invalid string literal: {reason}") from None
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


FORMAT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def format_percent(fmt: str, args: Value, node: Any) -> str:
    for m in FORMAT_SPEC.finditer(fmt):
        for part in m.groups():
            if part == "*" or (part and int(part) > MAX_FORMAT_WIDTH):
                raise unsafe(node, "'%' format with a huge or '*' width")
    try:
        return str(fmt % args)
    except (TypeError, ValueError, KeyError) as exc:
        raise eval_error(node, f"'%' formatting failed: {exc}") from None


def eval_error(node: Any, message: str) -> Skip:
    start, end = span(node)
    return Skip(message, start, end, "xm-eval")


def check_repeat(a: Value, b: Value, node: Any) -> None:
    seq, n = (a, b) if isinstance(b, int) else (b, a)
    if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_SIZE:
        raise unsafe(node, "sequence repetition larger than the limit")
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise unsafe(node, f"integer product larger than {MAX_INT_BITS} bits")


def check_power(base: Value, exp: Value, node: Any) -> None:
    if (isinstance(base, int) and isinstance(exp, int) and abs(base) > 1 and exp > 0
            and exp * math.log2(abs(base)) > MAX_INT_BITS):
        raise unsafe(node, f"exponentiation result larger than {MAX_INT_BITS} bits")


def divide_py2(a: Value, b: Value) -> Value:
    """Python 2 ``/``: floor division on two ints, true division otherwise."""
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
        return a // b
    return a / b


BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": divide_py2,
    "//": lambda a, b: a // b,
    "**": lambda a, b: a**b,
}

COMPARE: dict[str, Callable[[Value, Value], bool]] = {
    "==": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<>": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    ">": lambda a, b: bool(a > b),
    "<=": lambda a, b: bool(a <= b),
    ">=": lambda a, b: bool(a >= b),
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
    "is": lambda a, b: a is b,
    "isnot": lambda a, b: a is not b,
}

UNARY: dict[str, Callable[[Value], Value]] = {
    "-": lambda a: -a,
    "+": lambda a: +a,
    "~": lambda a: ~a,
}

# string methods that only compute a new value
STR_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "join", "replace",
    "startswith", "endswith", "find", "rfind", "count", "isdigit", "isalpha", "isalnum",
    "zfill",
})
LIST_METHODS = frozenset({"append", "extend", "index", "count"})

NESTED_QUANTIFIER = re.compile(r"\)[*+?{]|\\\d")  # a quantified group, a backreference
QUANTIFIER = re.compile(r"(?<!\\)[*+?{]")


def regex_call(fn: str, args: list[Value], node: Any) -> Value:
    if len(args) != 2 or not all(isinstance(a, str) for a in args):
        raise eval_error(node, f"re.{fn}() takes a pattern and a string here")
    pattern, subject = args
    # no backtracking blow-up: no quantified groups or backreferences, at most two
    # quantifiers (n**2 steps at worst) and a short subject
    if (NESTED_QUANTIFIER.search(pattern) or len(QUANTIFIER.findall(pattern)) > 2
            or len(subject) > MAX_REGEX_SUBJECT):
        raise unsafe(node, f"re.{fn}() with a quantified group, more than two "
                      "quantifiers or a long subject")
    try:
        found = getattr(re, fn)(pattern, subject)
    except re.error as exc:
        raise eval_error(node, f"bad regular expression: {exc}") from None
    return found.group(0) if found is not None else None


def cast(kind: type, args: list[Value], node: Any) -> Value:
    if kind is int and len(args) == 2 and isinstance(args[0], str):
        return int(args[0], args[1])
    if len(args) > 1:
        raise eval_error(node, f"{kind.__name__}() takes one argument here")
    if kind is int and args and isinstance(args[0], str) and len(args[0]) > 4300:
        raise unsafe(node, "int() of a huge string")
    return kind(*args)
