"""Read legacy xm configs (Python files xend executed) without executing them.

``read_xm(text, name, host, defines)`` parses the file with ``grammar/xm.lark``
and evaluates a small, side-effect-free subset with an interpreter of our own:

* literals with Python 2 semantics (``0755`` is octal, ``10L`` is an int,
  ``1/2`` on ints floors), strings decoded by :func:`ast.literal_eval` (the
  token only — never a whole expression);
* names of earlier assignments, ``+ - * / // % **``, comparisons, ``and`` /
  ``or`` / ``not``, conditional expressions, subscripts and slices;
* ``import os, re`` and, from them, ``os.uname()`` (answered from
  :class:`~xl_py._types.HostInfo`) and ``re.search`` / ``re.match`` with
  patterns that cannot backtrack catastrophically;
* ``int() str() float() bool() len()``, a few string methods and
  ``list.append`` / ``list.extend``;
* ``if`` / ``elif`` / ``else`` blocks;
* xm's command-line variables (``xm create cfg vmid=3``) given as ``defines``;
  ``xm_vars.var(...)`` / ``xm_vars.check()`` declarations are recognised.

Everything else — other calls, attribute access, loops, ``def``, ``lambda``,
comprehensions, ``exec``, ``print`` — is reported as a positioned diagnostic
and skipped.  Results are bounded: huge exponentiation, repetition or nesting
is refused before it is computed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from xl_py._record import Record
from xl_py._types import HostInfo
from xl_py.errors import ConfigSyntaxError, Diagnostic, Severity, Source
from xl_py.syntax.xm_values import (
    BINARY,
    COMPARE,
    LIST_METHODS,
    MAX_NESTING,
    MAX_SIZE,
    STR_METHODS,
    UNARY,
    Skip,
    Value,
    bounded,
    cast,
    check_power,
    check_repeat,
    eval_error,
    format_percent,
    parse_number,
    parse_string,
    regex_call,
    size_of,
    span,
    unsafe,
)

MAX_TEXT = 1 << 20  # characters in one config file
MAX_DEPTH = 100  # expression evaluation depth



class XmBinding(Record):
    """One top-level variable after evaluation: its value and where it was set."""

    name: str
    value: Value
    start: int
    end: int


class XmConfig(Record):
    """The result of reading one xm file: variables in first-assignment order."""

    source: Source
    bindings: tuple[XmBinding, ...]
    diagnostics: tuple[Diagnostic, ...]

    def get(self, name: str, default: Value = None) -> Value:
        for b in self.bindings:
            if b.name == name:
                return b.value
        return default

    def as_dict(self) -> dict[str, Value]:
        return {b.name: b.value for b in self.bindings}

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")


# --------------------------------------------------------------------------- grammar


def grammar_path(name: str) -> Path:
    """``xl_py/grammar/NAME`` in a wheel, else the repository's ``grammar/NAME``."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "grammar" / name, here.parents[2] / "grammar" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"grammar {name} not found")


@lru_cache(maxsize=1)
def _parser() -> Any:
    from lark import Lark
    from lark.indenter import Indenter

    class _XmIndenter(Indenter):
        NL_type = "_NEWLINE"
        OPEN_PAREN_types = ["LPAR", "LSQB", "LBRACE"]  # noqa: RUF012
        CLOSE_PAREN_types = ["RPAR", "RSQB", "RBRACE"]  # noqa: RUF012
        INDENT_type = "_INDENT"
        DEDENT_type = "_DEDENT"
        tab_len = 8

    return Lark(
        grammar_path("xm.lark").read_text(encoding="utf-8"),
        parser="lalr",
        postlex=_XmIndenter(),
        propagate_positions=True,
        maybe_placeholders=False,
    )


# --------------------------------------------------------------------------- parse


# Python 2 as xend ran it: a PEP 263 declaration on line 1 or 2 names the file's
# encoding; a UTF-8 BOM means UTF-8; otherwise bytes that are not UTF-8 are
# harmless in comments (Python 2.4 only warned), but in code we cannot know
# what they meant.
_COOKIE = re.compile(rb"\A(?:[^\n]*\n)?[ \t\f]*#[^\n]*?coding[:=][ \t]*([-\w.]+)")
_STRING_OR_COMMENT = re.compile(
    r"'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"|#[^\n]*")


def _decode(text: str | bytes, name: str) -> str:
    if isinstance(text, str):
        return text.removeprefix("\ufeff")
    text = text.removeprefix(b"\xef\xbb\xbf")
    cookie = _COOKIE.match(text)
    if cookie is not None:
        return _decode_declared(text, cookie, name)
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        pass
    decoded = text.decode("utf-8", "replace")
    outside = _first_outside_comments(decoded, "\ufffd")
    if outside is None:
        return decoded
    raise ConfigSyntaxError.at(
        "invalid UTF-8 in xm config", Source(name, decoded), outside, outside + 1,
        hint="declare the file's encoding on its first line, as Python does: "
             "# -*- coding: latin-1 -*-")


def _decode_declared(text: bytes, cookie: re.Match[bytes], name: str) -> str:
    codec = cookie.group(1).decode("ascii")
    try:
        return text.decode(codec)
    except LookupError:  # no such codec, or not a text encoding (zlib, rot13 ...)
        start, end = cookie.span(1)
        raise ConfigSyntaxError.at(f"unknown encoding '{codec}' in the coding declaration",
                                   Source(name, text.decode("utf-8", "replace")),
                                   start, end) from None
    except UnicodeError as exc:
        at = exc.start if isinstance(exc, UnicodeDecodeError) else 0
        # shown byte for byte: the declared codec cannot show what it cannot read
        raise ConfigSyntaxError.at(f"invalid {codec} in xm config (the file declares it)",
                                   Source(name, text.decode("latin-1")), at, at + 1) from None


def _first_outside_comments(text: str, char: str) -> int | None:
    """The first offset of ``char`` that is not inside a ``#`` comment (one pass:
    the text between comments is searched, strings included)."""
    pos = 0
    for m in _STRING_OR_COMMENT.finditer(text):
        if m.group()[0] == "#":
            hit = text.find(char, pos, m.start())
            if hit >= 0:
                return hit
            pos = m.end()
    hit = text.find(char, pos)
    return hit if hit >= 0 else None


def _check_shape(src: Source) -> None:
    """Refuse oversized files and bracket nesting deeper than MAX_NESTING."""
    if len(src.text) > MAX_TEXT:
        raise ConfigSyntaxError.at(f"xm config larger than {MAX_TEXT} characters", src, 0, 1)
    depth = 0
    for m in re.finditer(r"[\[\](){}]|#[^\n]*|'[^'\n]*'|\"[^\"\n]*\"", src.text):
        ch = m.group()
        if ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise ConfigSyntaxError.at(
                    f"brackets nested deeper than {MAX_NESTING} levels", src, m.start(), m.end()
                )
        elif ch in ")]}":
            depth = max(0, depth - 1)


def parse_xm(text: str | bytes, name: str = "<xm>") -> tuple[Source, Any]:
    """Parse an xm config into a lark tree; raise ConfigSyntaxError positioned."""
    src = Source(name, _decode(text, name))
    _check_shape(src)
    return src, _lark_parse(src, src.text)


_CONTENT = re.compile(r"^[ \t]*[^\s#]|\r(?!\n)", re.MULTILINE)  # text lark must see


def parse_statements(text: str | bytes, name: str = "<xm>") -> tuple[Source, list[Any]]:
    """The top-level statements in source order: plain assignments from the fast
    path (:mod:`xl_py.syntax.xm_fast`), the rest from the Lark grammar."""
    from xl_py.syntax.xm_fast import split

    src = Source(name, _decode(text, name))
    _check_shape(src)
    fast, rest = split(src.text)
    stmts = list(fast)
    if _CONTENT.search(rest):
        stmts.extend(_lark_parse(src, rest).children)
        stmts.sort(key=lambda t: t.meta.start_pos)
    return src, stmts


_CACHE_MAX = 1 << 16


@lru_cache(maxsize=256)
def _cached_parse(body: str) -> Any:
    """Lark trees are never modified, so one /etc/xen batch parses the shared
    xmexample preamble (``import os, re`` ... ``if``) once.  Errors are not cached."""
    return _parser().parse(body)


def _lark_parse(src: Source, text: str) -> Any:
    """Lark over ``text`` (src.text, possibly with fast statements blanked)."""
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput
    from lark.indenter import DedentError

    body = text.rstrip() + "\n"  # trailing blanks change no position
    try:
        if len(body) <= _CACHE_MAX:
            return _cached_parse(body)
        return _parser().parse(body)
    except DedentError:
        pos = _bad_dedent(text)
        raise ConfigSyntaxError.at("unindent does not match any outer indentation level",
                                   src, pos, pos + 1) from None
    except UnexpectedCharacters as exc:
        pos = int(exc.pos_in_stream or 0)
        raise ConfigSyntaxError.at(
            f"unexpected character {src.text[pos:pos + 1]!r}", src, pos, pos + 1,
            expected="Python literal syntax as in xmexample files",
        ) from None
    except UnexpectedEOF:
        end = len(src.text)
        raise ConfigSyntaxError.at("unexpected end of file", src, end, end) from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        tok_pos = getattr(token, "start_pos", None)
        start = tok_pos if isinstance(tok_pos, int) else len(src.text)
        end_pos = getattr(token, "end_pos", None)
        stop = end_pos if isinstance(end_pos, int) and end_pos > start else start + 1
        shown = repr(str(token).strip() or "end of line")
        if getattr(token, "type", "") == "_INDENT":  # points at the line's first word
            found = re.compile(r"\S").search(src.text, start)
            start = found.start() if found else start
            shown, stop = "indent", start + 1
        raise ConfigSyntaxError.at(
            f"unexpected {shown}", src, start, stop,
            expected="Python literal syntax as in xmexample files",
        ) from None
    except LarkError as exc:  # no other kind is known; still a typed, located error
        raise ConfigSyntaxError.at(f"cannot parse: {exc}", src, 0, 1) from None


def _bad_dedent(text: str) -> int:
    """Where a line dedents to a column no enclosing block started at (lark's
    DedentError carries no position); continuation lines are not told apart."""
    stack = [0]
    for m in re.finditer(r"^([ \t]*)([^\s#])", text, re.MULTILINE):
        width = len(m.group(1).expandtabs(8))
        if width > stack[-1]:
            stack.append(width)
            continue
        while width < stack[-1]:
            stack.pop()
        if width != stack[-1]:
            return m.start(2)
    return 0


# --------------------------------------------------------------------------- evaluate


class _Module:
    """The whitelisted modules: only the names below are reachable."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _XmVars:
    """xm's ``xm_vars`` object: its calls declare command-line variables."""


ALLOWED_MODULES = frozenset({"os", "re", "string", "sys"})


class _Evaluator:
    """Walks the lark tree; statements that cannot be read are reported and skipped."""

    def __init__(self, src: Source, host: HostInfo, defines: Mapping[str, str]) -> None:
        self.src = src
        self.host = host
        self.defines = dict(defines)
        self.env: dict[str, Value] = {"True": True, "False": False, "None": None}
        self.spans: dict[str, tuple[int, int]] = {}
        self.order: list[str] = []
        self.skipped: dict[str, tuple[int, int]] = {}
        self.diags: list[Diagnostic] = []
        self.depth = 0
        self.declared: set[str] = set()

    # ---- statements
    def run(self, stmts: list[Any]) -> None:
        for stmt in stmts:
            self.statement(stmt)

    def statement(self, stmt: Any) -> None:
        handler = _STATEMENTS.get(stmt.data)
        if handler is None:
            self.report(unsafe(stmt, f"statement '{stmt.data}'"))
            return
        try:
            handler(self, stmt)
        except Skip as skip:
            self.report(skip)
            self.poison(stmt)

    def report(self, skip: Skip) -> None:
        severity: Severity = "warning" if skip.code == "not-run" else "error"
        self.diags.append(Diagnostic(severity, skip.message, self.src, skip.start, skip.end,
                                     hint=skip.hint, code=skip.code))

    def poison(self, stmt: Any) -> None:
        """Names a skipped statement would have assigned become 'skipped'."""
        for sub in stmt.iter_subtrees():
            if sub.data != "expr_stmt" or len(sub.children) < 2:
                continue
            for target in sub.children[:-1]:
                if getattr(target, "data", "") == "name":
                    self.skipped[str(target.children[0])] = span(sub)

    def simple_stmt(self, stmt: Any) -> None:
        for small in stmt.children:
            self.statement(small)

    def suite(self, stmt: Any) -> None:
        for child in stmt.children:
            self.statement(child)

    def expr_stmt(self, stmt: Any) -> None:
        kids = stmt.children
        if len(kids) == 1:
            self.expression_statement(kids[0])
        elif getattr(kids[1], "type", "") == "AUGOP":
            self.aug_assign(kids[0], str(kids[1]), kids[2])
        else:
            value = self.eval(kids[-1])
            for target in kids[:-1]:
                self.assign(target, value, stmt)

    def expression_statement(self, node: Any) -> None:
        """A bare call: list.append / xm_vars idioms; anything else is refused."""
        if node.data == "call":
            self.eval(node)
            return
        raise unsafe(node, "expression statement")

    def assign(self, target: Any, value: Value, stmt: Any) -> None:
        if target.data == "name":
            self.bind(str(target.children[0]), value, stmt)
        elif target.data == "tuple_bare" and all(c.data == "name" for c in target.children):
            if not isinstance(value, list | tuple) or len(value) != len(target.children):
                raise eval_error(target, "cannot unpack the value into these names")
            for child, item in zip(target.children, value, strict=True):
                self.bind(str(child.children[0]), item, stmt)
        else:
            raise unsafe(target, "assignment to something other than a name")

    def bind(self, name: str, value: Value, stmt: Any) -> None:
        if name in ("True", "False", "None"):
            raise eval_error(stmt, f"cannot assign to {name}")
        if name not in self.spans:
            self.order.append(name)
        self.env[name] = value
        self.spans[name] = span(stmt)
        self.skipped.pop(name, None)

    def aug_assign(self, target: Any, op: str, rhs: Any) -> None:
        if target.data != "name":
            raise unsafe(target, "augmented assignment to something other than a name")
        current = self.eval(target)
        value = self.eval(rhs)
        result = self.binary(op[:-1], current, value, rhs)
        self.bind(str(target.children[0]), result, target)

    def import_stmt(self, stmt: Any) -> None:
        for dotted_as in stmt.children:
            dotted = dotted_as.children[0]
            module = ".".join(str(t) for t in dotted.children)
            alias = str(dotted_as.children[1]) if len(dotted_as.children) > 1 else module
            if module not in ALLOWED_MODULES:
                raise unsafe(dotted_as, f"import of module '{module}'",
                              hint="only 'import os, re' (xmexample idiom) is read")
            self.env[alias] = _Module(module)

    def from_import(self, stmt: Any) -> None:
        raise unsafe(stmt, "'from ... import'")

    def pass_stmt(self, stmt: Any) -> None:
        return None

    def other_stmt(self, stmt: Any) -> None:
        raise unsafe(stmt, f"'{stmt.children[0]}' statement")

    def block_stmt(self, stmt: Any) -> None:
        keyword = str(stmt.children[0])
        if keyword == "def":
            start, end = span(stmt.children[0])
            raise Skip("function definition: not run", start, end, "not-run",
                        "harmless unless called; calls of it are refused")
        raise unsafe(stmt, f"'{keyword}' block",
                      hint="loops, functions, classes and try/with blocks are never executed")

    def if_stmt(self, stmt: Any) -> None:
        test, body, *rest = stmt.children
        if self.truth(test):
            self.suite(body)
            return
        for clause in rest:
            if clause.data == "elif_clause":
                if self.truth(clause.children[0]):
                    self.suite(clause.children[1])
                    return
            else:
                self.suite(clause.children[0])

    def truth(self, node: Any) -> bool:
        return bool(self.eval(node))

    # ---- expressions
    def eval(self, node: Any) -> Value:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise unsafe(node, f"expression nested deeper than {MAX_DEPTH} levels")
            handler = _EXPRESSIONS.get(getattr(node, "data", ""))
            if handler is None:
                raise unsafe(node, f"expression '{getattr(node, 'data', node)}'")
            return bounded(handler(self, node), node)
        finally:
            self.depth -= 1

    def e_name(self, node: Any) -> Value:
        name = str(node.children[0])
        if name in self.env:
            return self.env[name]
        if name in self.defines:
            return _define_value(self.defines[name])
        if name in self.skipped:
            line, col = self.src.line_col(self.skipped[name][0])
            raise eval_error(
                node, f"'{name}' is unknown: its assignment at {line}:{col} was skipped")
        if name == "xm_vars":
            return _XmVars()
        hint = (f"pass it with --define {name}=VALUE" if name in self.declared else
                f"if xm create was given it (xm create FILE {name}=...), pass it with "
                f"--define {name}=VALUE")
        start, end = span(node)
        raise Skip(f"name '{name}' is not defined", start, end, "xm-undefined", hint)

    def e_number(self, node: Any) -> Value:
        try:
            return parse_number(str(node.children[0]))
        except ValueError:
            raise eval_error(node, f"invalid number {str(node.children[0])!r}") from None

    def e_strings(self, node: Any) -> Value:
        try:
            return "".join(parse_string(str(tok)) for tok in node.children)
        except ValueError as exc:
            raise eval_error(node, str(exc)) from None

    def e_list(self, node: Any) -> Value:
        return [self.eval(c) for c in _items(node)]

    def e_tuple(self, node: Any) -> Value:
        return tuple(self.eval(c) for c in node.children)

    def e_empty_tuple(self, node: Any) -> Value:
        return ()

    def e_paren(self, node: Any) -> Value:
        return self.eval(node.children[0])

    def e_dict(self, node: Any) -> Value:
        out: dict[Value, Value] = {}
        for pair in _items(node):
            key = self.eval(pair.children[0])
            if isinstance(key, list | dict):
                raise eval_error(pair, "unhashable dict key")
            out[key] = self.eval(pair.children[1])
        return out

    def e_arith(self, node: Any) -> Value:
        kids = node.children
        value = self.eval(kids[0])
        for op, operand in zip(kids[1::2], kids[2::2], strict=True):
            value = bounded(self.binary(str(op), value, self.eval(operand), node), node)
        return value

    def e_power(self, node: Any) -> Value:
        return self.binary("**", self.eval(node.children[0]), self.eval(node.children[2]), node)

    def binary(self, op: str, a: Value, b: Value, node: Any) -> Value:
        if op == "%" and isinstance(a, str):
            return format_percent(a, b, node)
        if op == "*":
            check_repeat(a, b, node)
        if op == "**":
            check_power(a, b, node)
        if (op == "+" and isinstance(a, str | list | tuple)
                and isinstance(b, str | list | tuple) and len(a) + len(b) > MAX_SIZE):
            raise unsafe(node, "concatenation larger than the limit")
        fn = BINARY.get(op)
        if op == "%":
            fn = lambda x, y: x % y  # noqa: E731
        if fn is None:
            raise unsafe(node, f"operator '{op}'")
        try:
            return fn(a, b)
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
            raise eval_error(node, f"'{op}' failed: {exc}") from None

    def e_unary(self, node: Any) -> Value:
        op, operand = node.children
        value = self.eval(operand)
        try:
            return UNARY[str(op)](value)
        except TypeError as exc:
            raise eval_error(node, f"unary '{op}' failed: {exc}") from None

    def e_not_op(self, node: Any) -> Value:
        return not self.eval(node.children[0])

    def e_and_test(self, node: Any) -> Value:
        value: Value = True
        for child in node.children:
            value = self.eval(child)
            if not value:
                return value
        return value

    def e_or_test(self, node: Any) -> Value:
        value: Value = False
        for child in node.children:
            value = self.eval(child)
            if value:
                return value
        return value

    def e_comparison(self, node: Any) -> Value:
        kids = node.children
        left = self.eval(kids[0])
        for op, operand in zip(kids[1::2], kids[2::2], strict=True):
            right = self.eval(operand)
            key = re.sub(r"\s+", "", str(op))
            try:
                if not COMPARE[key](left, right):
                    return False
            except TypeError as exc:
                raise eval_error(node, f"comparison failed: {exc}") from None
            left = right
        return True

    def e_cond_expr(self, node: Any) -> Value:
        body, test, orelse = node.children
        return self.eval(body) if self.truth(test) else self.eval(orelse)

    def e_getitem(self, node: Any) -> Value:
        container = self.eval(node.children[0])
        index = node.children[1]
        if isinstance(container, _Module | _XmVars):
            raise unsafe(node, "subscript of a module")
        try:
            if getattr(index, "data", "") == "slice":
                parts = [self.eval(p.children[0]) if p.children else None
                         for p in index.children]
                return container[slice(*parts)]
            return container[self.eval(index)]
        except (TypeError, IndexError, KeyError, ValueError) as exc:
            raise eval_error(node, f"subscript failed: {exc!r}") from None

    def e_getattr(self, node: Any) -> Value:
        raise unsafe(node, f"attribute access '.{node.children[1]}' outside a call")

    def e_call(self, node: Any) -> Value:
        func = node.children[0]
        args, kwargs = self.arguments(node)
        if func.data == "name":
            return self.call_builtin(str(func.children[0]), args, kwargs, node)
        if func.data == "getattr":
            owner = self.eval(func.children[0])
            return self.call_method(owner, str(func.children[1]), args, kwargs, node)
        raise unsafe(node, "call of a computed function")

    def arguments(self, node: Any) -> tuple[list[Value], dict[str, Value]]:
        args: list[Value] = []
        kwargs: dict[str, Value] = {}
        arglist = node.children[1] if len(node.children) > 1 else None
        for arg in arglist.children if arglist is not None else ():
            if arg.data == "star_arg":
                raise unsafe(arg, "'*' / '**' argument")
            if len(arg.children) == 2:
                key = arg.children[0]
                if getattr(key, "data", "") != "name":
                    raise eval_error(arg, "keyword argument must be a name")
                kwargs[str(key.children[0])] = self.lazy_kwarg(arg.children[1])
            else:
                args.append(self.eval(arg.children[0]))
        return args, kwargs

    def lazy_kwarg(self, node: Any) -> Value:
        """Keyword values of xm_vars.var(check=fn) name functions we never define."""
        if getattr(node, "data", "") == "name" and str(node.children[0]) not in self.env:
            return None
        return self.eval(node)

    def call_builtin(self, name: str, args: list[Value], kwargs: dict[str, Value],
                     node: Any) -> Value:
        kind = _CASTS.get(name)
        if kind is None or kwargs:
            raise unsafe(node, f"call of '{name}()'",
                          hint="only int(), str(), float(), bool(), len() are read")
        try:
            if kind is len:
                if len(args) != 1:
                    raise eval_error(node, "len() takes one argument")
                return len(args[0])
            return cast(kind, args, node)
        except (TypeError, ValueError) as exc:
            raise eval_error(node, f"{name}() failed: {exc}") from None

    def call_method(self, owner: Value, method: str, args: list[Value],
                    kwargs: dict[str, Value], node: Any) -> Value:
        if isinstance(owner, _Module):
            return self.call_module(owner.name, method, args, node)
        if isinstance(owner, _XmVars):
            return self.xm_vars_call(method, args, kwargs, node)
        if kwargs or method.startswith("_"):
            raise unsafe(node, f"method call '.{method}()'")
        allowed = STR_METHODS if isinstance(owner, str) else (
            LIST_METHODS if isinstance(owner, list) else frozenset())
        if method not in allowed:
            raise unsafe(node, f"method call '.{method}()' on {type(owner).__name__}")
        if method in ("append", "extend") and size_of(owner, 0) + size_of(args, 0) > MAX_SIZE:
            raise unsafe(node, "list larger than the limit")
        try:
            return getattr(owner, method)(*args)
        except (TypeError, ValueError) as exc:
            raise eval_error(node, f".{method}() failed: {exc}") from None

    def call_module(self, module: str, fn: str, args: list[Value], node: Any) -> Value:
        if module == "os" and fn == "uname" and not args:
            return ("Linux", "localhost", "", "", self.host.arch)
        if module == "re" and fn in ("search", "match"):
            return regex_call(fn, args, node)
        raise unsafe(node, f"call of '{module}.{fn}()'",
                      hint="only os.uname(), re.search() and re.match() are read")

    def xm_vars_call(self, method: str, args: list[Value], kwargs: dict[str, Value],
                     node: Any) -> Value:
        """``xm_vars.var('vmid', use=..., check=...)`` declares a --define variable."""
        if method == "var" and args and isinstance(args[0], str):
            self.declared.add(args[0])
            return None
        if method == "check":
            missing = sorted(v for v in self.declared if v not in self.defines)
            if missing:
                start, end = span(node)
                raise Skip(
                    f"xm create variable(s) {', '.join(missing)} not given", start, end,
                    "xm-define", hint="pass them with --define NAME=VALUE")
            return None
        raise unsafe(node, f"call of 'xm_vars.{method}()'")

    def e_backquote(self, node: Any) -> Value:
        raise unsafe(node, "backquote (repr)")

    def e_lambda_expr(self, node: Any) -> Value:
        raise unsafe(node, "lambda")

    def e_comprehension(self, node: Any) -> Value:
        raise unsafe(node, "comprehension")


def _define_value(text: str) -> Value:
    """``--define vmid=3``: integers become ints (xm_vars checks did int(val))."""
    return int(text) if re.fullmatch(r"[-+]?\d+", text) else text


def _items(node: Any) -> list[Any]:
    """Items of ``[...]`` / ``{...}``: the optional list_items / dict_items child."""
    return list(node.children[0].children) if node.children else []


_CASTS: dict[str, Any] = {"int": int, "str": str, "float": float, "bool": bool, "len": len}

_STATEMENTS: dict[str, Callable[[_Evaluator, Any], None]] = {
    "simple_stmt": _Evaluator.simple_stmt,
    "expr_stmt": _Evaluator.expr_stmt,
    "import_stmt": _Evaluator.import_stmt,
    "from_import": _Evaluator.from_import,
    "pass_stmt": _Evaluator.pass_stmt,
    "other_stmt": _Evaluator.other_stmt,
    "block_stmt": _Evaluator.block_stmt,
    "if_stmt": _Evaluator.if_stmt,
    "suite": _Evaluator.suite,
}

_EXPRESSIONS: dict[str, Callable[[_Evaluator, Any], Value]] = {
    "name": _Evaluator.e_name,
    "number": _Evaluator.e_number,
    "strings": _Evaluator.e_strings,
    "list": _Evaluator.e_list,
    "tuple_items": _Evaluator.e_tuple,
    "tuple_bare": _Evaluator.e_tuple,
    "empty_tuple": _Evaluator.e_empty_tuple,
    "paren": _Evaluator.e_paren,
    "dict": _Evaluator.e_dict,
    "arith": _Evaluator.e_arith,
    "term": _Evaluator.e_arith,
    "power": _Evaluator.e_power,
    "unary": _Evaluator.e_unary,
    "not_op": _Evaluator.e_not_op,
    "and_test": _Evaluator.e_and_test,
    "or_test": _Evaluator.e_or_test,
    "comparison": _Evaluator.e_comparison,
    "cond_expr": _Evaluator.e_cond_expr,
    "getitem": _Evaluator.e_getitem,
    "getattr": _Evaluator.e_getattr,
    "call": _Evaluator.e_call,
    "backquote": _Evaluator.e_backquote,
    "lambda_expr": _Evaluator.e_lambda_expr,
    "comprehension": _Evaluator.e_comprehension,
}


def read_xm(
    text: str | bytes,
    name: str = "<xm>",
    host: HostInfo | None = None,
    defines: Mapping[str, str] | None = None,
    *,
    fast: bool = True,
) -> XmConfig:
    """Parse and evaluate the safe subset; everything else becomes a diagnostic.

    ``fast=False`` parses every statement with the Lark grammar (the fast path
    must give the same result; tests/test_xm_fast.py checks it)."""
    if fast:
        src, stmts = parse_statements(text, name)
    else:
        src, tree = parse_xm(text, name)
        stmts = list(tree.children)
    ev = _Evaluator(src, host or HostInfo(), defines or {})
    try:
        ev.run(stmts)
    except RecursionError:
        ev.diags.append(Diagnostic("error", "config nested too deeply", src, 0, 1,
                                   code="unsafe"))
    hidden = (_Module, _XmVars)
    bindings = tuple(
        XmBinding(n, ev.env[n], *ev.spans[n])
        for n in ev.order
        if n in ev.env and not isinstance(ev.env[n], hidden)
    )
    return XmConfig(src, bindings, tuple(ev.diags))
