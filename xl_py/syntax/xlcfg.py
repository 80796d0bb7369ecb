"""xl.cfg text -> :class:`Document`: the language of Xen 4.17's libxlutil.

The language is specified by ``grammar/xlcfg.lark``; this module is a
hand-written scanner and LL(1) parser for it, because it has to start in a
millisecond and parse thousands of configs a second (the test suite checks it
against the Lark grammar and against the real libxlutil).

Lexing follows ``libxlu_cfg_l.l``::

    key     [a-z][._0-9a-z]*           number  [0-9][0-9a-fx]*
    string  '...' or "..." on one line, backslash escapes (escapes.py)
    ops     =  +=  ,  ;  [  ]          blanks  space and tab only
    newline \\n ; a comment runs from # to the end of the line

and parsing ``libxlu_cfg_y.y``::

    file      := (statement? (NEWLINE | ';'))* statement?
    statement := key ('=' | '+=') value
    value     := number | string | '[' NL* (value NL* (',' NL* value NL*)* (',' NL*)?)? ']'

Like xl, an error skips the rest of its statement and parsing goes on, so
every broken line is reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NoReturn

from xl_py.errors import ConfigSyntaxError, Diagnostic, Source
from xl_py.syntax.document import Atom, Document, ListValue, Op, Statement, Value
from xl_py.syntax.escapes import EscapeProblem, dequote

MAX_BYTES = 4 * 1024 * 1024  # no real config comes near; bounds time and memory
MAX_DEPTH = 100  # nested lists; xl's bison stack gives up near 5,000
MAX_ERRORS = 20

EXPECTED_KEY = "a setting such as memory = 512 (keys are lower-case letters, digits, '.' or '_')"
EXPECTED_OP = "'=' or '+='"
EXPECTED_VALUE = "a value: a number, a 'string' or a [list]"
EXPECTED_ITEM = "a list item (a number, a 'string' or a [list]) or ']'"
EXPECTED_SEPARATOR = "',' or ']'"
EXPECTED_END = "the end of the statement: a newline or ';'"
PYTHON_CHARS = "+-.():"

_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_INVALID_BYTE = re.compile("[\udc80-\udcff]")

_TOKEN = re.compile(
    r"""[ \t]*(?:
      (?P<nl>\n)
    | (?P<comment>\#[^\n]*)
    | (?P<key>[a-z][._0-9a-z]*)
    | (?P<num>[0-9][0-9a-fx]*)
    | (?P<str>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<op>\+=|[=,;\[\]])
    | (?P<bad>[^ \t\n][^ \t\n]*)
    | (?P<eof>\Z)
    )""",
    re.VERBOSE,
)

# (kind, start, end); kind is a _TOKEN group name, or the operator itself
Token = tuple[str, int, int]


class _Fail(Exception):
    """One syntax error; the statement loop records it and recovers."""

    def __init__(self, diagnostic: Diagnostic, index: int) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        self.index = index


def parse_xlcfg(text: str | bytes, name: str, *, extra_from: int = -1) -> Document:
    """Parse xl.cfg (or xl.conf) text; raise ConfigSyntaxError with every error found.

    ``extra_from``: where create's key=value arguments begin in ``text`` (their
    messages name ``command line``; see Source.place)."""
    if isinstance(text, bytes):
        text = decode_config(text, name)
    elif len(text) > MAX_BYTES:
        _too_large(name, len(text), "characters")
    source = Source(name, text, extra_from)
    _refuse_binary(source)
    return _Parser(source).document()


def _refuse_binary(source: Source) -> None:
    """A NUL anywhere, or a run of control characters early on: not a config."""
    text = source.text
    nul = text.find("\0")
    controls = _CONTROL.findall(text, 0, 4096)
    if nul < 0 and len(controls) < 4:
        return
    first = nul if nul >= 0 else _CONTROL.search(text).start()  # type: ignore[union-attr]
    what = "a NUL byte" if nul >= 0 else f"{len(controls)} control characters"
    raise ConfigSyntaxError.at(
        f"this is binary data, not an xl config ({what})", source, first, first + 1,
        expected="a text file", code="binary")


def decode_config(data: bytes, name: str) -> str:
    """UTF-8, keeping invalid bytes as lone surrogates (``surrogateescape``).

    xl reads bytes; xl_py tolerates invalid UTF-8 only inside comments (old
    configs carry Latin-1 comments) and reports it anywhere else at its line
    and column.
    """
    if len(data) > MAX_BYTES:
        _too_large(name, len(data), "bytes")
    return data.decode("utf-8", "surrogateescape")


def _too_large(name: str, size: int, unit: str) -> NoReturn:
    raise ConfigSyntaxError.at(
        f"{name}: file is too large for a config ({size} {unit}; the limit is "
        f"{MAX_BYTES // (1024 * 1024)} MiB)", code="too-large")


def tokenize(text: str, pos: int = 0) -> list[Token]:
    """Every token from ``pos`` except blanks and comments, ending with ``eof``."""
    tokens = _Tokens(text, pos)
    index = 0
    while tokens[index][0] != "eof":
        index += 1
    return tokens.items


class _Tokens:
    """The tokens from a position on, scanned only as far as the parser looks."""

    __slots__ = ("items", "matches", "text")

    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.items: list[Token] = []
        self.matches = _TOKEN.finditer(text, pos)

    def __getitem__(self, index: int) -> Token:
        items = self.items
        while len(items) <= index:
            if items and items[-1][0] == "eof":
                return items[-1]
            match = next(self.matches)
            kind = match.lastgroup
            if kind == "comment":
                continue
            assert kind is not None
            start, end = match.span(kind)
            if kind == "op":
                kind = self.text[start:end]
            items.append((kind, start, end))
        return items[index]


# The fast paths: a whole `key = atom` or `key = [flat, list]` statement in one
# regex match.  Anything else (nested lists, comments inside lists, errors)
# goes through the token parser, which is the reference implementation.
# Possessive quantifiers throughout: a failed fast match must give up at once
# (no backtracking into comments or blanks, which is exponential).
_SKIP = re.compile(r"(?:[ \t\n;]++|\#[^\n]*+)*+")
_ATOM = r"[0-9][0-9a-fx]*+|'(?:[^'\\\n]++|\\.)*+'|" + r'"(?:[^"\\\n]++|\\.)*+"'
_FAST = re.compile(
    r"(?:[ \t\n;]++|\#[^\n]*+)*+"                  # blanks, comments, empty statements
    r"([a-z][._0-9a-z]*+)[ \t]*+(\+?=)[ \t]*+"      # key and operator
    rf"(?:({_ATOM})"                                # an atom, or a flat list of atoms
    rf"|(\[[ \t\n]*+(?:(?:{_ATOM})[ \t\n]*+,[ \t\n]*+)*+(?:(?:{_ATOM})[ \t\n]*+)?\]))"
    r"[ \t]*+(?:\#[^\n]*+)?(?=[\n;]|\Z)")            # then the end of the statement
_LIST_ATOM = re.compile(_ATOM)
_OPS: dict[str, Op] = {"=": "=", "+=": "+="}


class _Parser:
    """One pass over the tokens; spans point into ``source.text``."""

    def __init__(self, source: Source, *, fast: bool = True) -> None:
        self.source = source
        self.fast = fast
        self.text = source.text
        self.tokens = _Tokens(self.text, 0)
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.python_at = -1
        self.invalid_utf8 = _INVALID_BYTE.search(source.text) is not None

    def document(self) -> Document:
        statements: list[Statement] = []
        append = statements.append
        text = self.text
        size = len(text)
        fast = _FAST.match if self.fast and not self.invalid_utf8 else None
        escapes = "\\" in text
        pos = 0
        while True:
            match = fast(text, pos) if fast else None
            if match is None or (escapes and "\\" in match.group(0)):
                pos = _SKIP.match(text, pos).end()  # type: ignore[union-attr]
                if pos >= size:
                    break
                pos = self.general_statement(pos, append)
                if len(self.errors) >= MAX_ERRORS:
                    break
                continue
            key_start, key_end = match.span(1)
            word = match.group(3)
            value: Value
            if word is not None:
                span = match.span(3)
                if word[0] in "'\"":
                    value = Atom(word[1:-1], span, True)
                else:
                    value = Atom(word, span, False)
            else:
                value = self.flat_list(*match.span(4))
            append(Statement(match.group(1), (key_start, key_end), _OPS[match.group(2)],
                             value, (key_start, value.span[1])))
            pos = match.end()
        if self.errors:
            self.raise_errors()
        return Document(self.source, tuple(statements), tuple(self.warnings))

    def flat_list(self, start: int, end: int) -> ListValue:
        """[atom, ...] without escapes, comments or nesting (matched by _FAST)."""
        items: list[Value] = []
        for item in _LIST_ATOM.finditer(self.text, start, end):
            word = item.group()
            if word[0] in "'\"":
                items.append(Atom(word[1:-1], item.span(), True))
            else:
                items.append(Atom(word, item.span(), False))
        return ListValue(tuple(items), (start, end))

    def general_statement(self, pos: int, append: Callable[[Statement], None]) -> int:
        """The token parser for one statement at ``pos``; returns where it ended."""
        self.tokens = _Tokens(self.text, pos)
        try:
            statement, index = self.statement(0)
        except _Fail as fail:
            self.errors.append(fail.diagnostic)
            return self.recover(fail.index)
        append(statement)
        return self.tokens[index][1]

    # -- grammar rules ------------------------------------------------------

    def statement(self, index: int) -> tuple[Statement, int]:
        """statement := key ('=' | '+=') value (NEWLINE | ';' | EOF)"""
        kind, key_start, key_end = self.tokens[index]
        if kind != "key":
            self.fail(index, EXPECTED_KEY)
        op_kind = self.tokens[index + 1][0]
        if op_kind != "=" and op_kind != "+=":
            self.fail(index + 1, EXPECTED_OP)
        op: Op = "=" if op_kind == "=" else "+="
        value, index = self.value(index + 2, 0)
        end_kind = self.tokens[index][0]
        if end_kind != "nl" and end_kind != ";" and end_kind != "eof":
            self.fail(index, EXPECTED_END)
        key = self.text[key_start:key_end]
        return Statement(key, (key_start, key_end), op, value, (key_start, value.span[1])), index

    def value(self, index: int, depth: int) -> tuple[Value, int]:
        """value := number | string | list"""
        kind, start, end = self.tokens[index]
        if kind == "num":
            return Atom(self.text[start:end], (start, end), False), index + 1
        if kind == "str":
            return Atom(self.string(index), (start, end), True), index + 1
        if kind == "[":
            return self.list_value(index, depth + 1)
        self.fail(index, EXPECTED_VALUE if depth == 0 else EXPECTED_ITEM)

    def list_value(self, index: int, depth: int) -> tuple[ListValue, int]:
        """'[' NL* (value NL* (',' NL* value NL*)* (',' NL*)?)? ']'"""
        tokens = self.tokens
        open_at = index
        if depth > MAX_DEPTH:
            self.fail(index, f"at most {MAX_DEPTH} levels of nested lists",
                      message=f"lists are nested more than {MAX_DEPTH} deep")
        items: list[Value] = []
        index = self.skip_newlines(index + 1)
        while tokens[index][0] != "]":
            item, index = self.value(index, depth)
            items.append(item)
            index = self.skip_newlines(index)
            kind = tokens[index][0]
            if kind == ",":
                index = self.skip_newlines(index + 1)
            elif kind != "]":
                self.fail(index, EXPECTED_SEPARATOR, open_at=open_at)
        span = (tokens[open_at][1], tokens[index][2])
        return ListValue(tuple(items), span), index + 1

    def skip_newlines(self, index: int) -> int:
        tokens = self.tokens
        while tokens[index][0] == "nl":
            index += 1
        return index

    def string(self, index: int) -> str:
        _, start, end = self.tokens[index]
        if self.invalid_utf8:
            bad = _INVALID_BYTE.search(self.text, start, end)
            if bad is not None:
                raise _Fail(_invalid_utf8(self.source, bad.start()), index)
        problems: list[EscapeProblem] = []
        text = dequote(self.source, start, end, problems)
        for problem in problems:
            if problem.fatal:
                raise _Fail(problem.diagnostic(self.source), index)
            self.warnings.append(problem.diagnostic(self.source))
        return text

    # -- errors -------------------------------------------------------------

    def fail(self, index: int, expected: str, *, message: str | None = None,
             open_at: int | None = None) -> NoReturn:
        kind, start, end = self.tokens[index]
        if kind == "bad":
            raise _Fail(self.lexical_error(start, end, expected), index)
        hint = _unexpected_hint(kind, self.text[start:end], expected)
        if kind == "key" and self.tokens[index - 1][2] == start and \
                self.tokens[index - 1][0] == "num":
            hint = f"a number is digits, a-f and x only; quote other text: '{self.run(start)}'"
        if kind == "str" and index > 0 and self.tokens[index - 1][0] == "str" and \
                self.tokens[index - 1][2] == start:
            hint = "Python's triple-quoted strings are not xl syntax: quote text on one line"
            self.python_at = self.tokens[index - 1][1] if self.python_at < 0 else self.python_at
        elif kind == "str" and expected == EXPECTED_KEY:
            hint = "keys are not quoted: " + _shown(self.text[start + 1:end - 1]) + " = ..."
        if kind == "key" and expected == EXPECTED_OP and index > 0 and \
                self.text[self.tokens[index - 1][1]:self.tokens[index - 1][2]] in _PY_WORDS:
            self.python_at = self.tokens[index - 1][1] if self.python_at < 0 else self.python_at
        if open_at is not None and kind in ("key", "eof", ";"):
            line, col = self.source.line_col(self.tokens[open_at][1])
            hint = f"the list opened at line {line}, column {col} is not closed"
        if kind in ("nl", "eof"):
            end = start
        raise _Fail(Diagnostic("error", message or f"unexpected {self.describe(index)}",
                               self.source, start, end, expected, hint, code="syntax"), index)

    def describe(self, index: int) -> str:
        kind, start, end = self.tokens[index]
        word = _shown(self.text[start:end])
        return {
            "nl": "end of line",
            "eof": "end of file",
            "key": f"word '{word}'",
            "num": f"number {word}",
            "str": f"string {word}",
        }.get(kind, f"'{word}'")

    def lexical_error(self, start: int, end: int, expected: str) -> Diagnostic:
        char = self.text[start]
        if _INVALID_BYTE.match(char):
            return _invalid_utf8(self.source, start)
        if char in PYTHON_CHARS and self.python_at < 0:
            self.python_at = start
        message, hint = _bad_character(char)
        if start > 0 and self.text[start - 1].isalnum() and char.isprintable() and \
                char not in "'\"":
            hint = _GLUED_HINT.get(char, "a number is digits, a-f and x only; quote other "
                                   f"text: '{self.run(start)}'")
        elif expected in (EXPECTED_KEY, EXPECTED_OP) and char not in _BAD_ANYWHERE:
            hint = _KEY_HINT
        if char in "'\"":
            end = self.text.find("\n", start)
            end = len(self.text) if end < 0 else end
            expected = f"a closing {char} before the end of the line"
        return Diagnostic("error", message, self.source, start, end, expected, hint,
                          code="lexical")

    def run(self, start: int) -> str:
        """The blank-free run of text around ``start`` (what xl calls a token)."""
        begin = start
        while begin > 0 and self.text[begin - 1] not in " \t\n=[,":
            begin -= 1
        end = start
        while end < len(self.text) and self.text[end] not in " \t\n]":
            end += 1
        return _shown(self.text[begin:end])

    def recover(self, index: int) -> int:
        """Skip the rest of a broken statement: to the next newline outside
        brackets, or to a newline followed by ``key =`` (an unclosed list).
        Returns the position to go on from."""
        tokens = self.tokens
        depth = 0
        while True:
            kind, start, end = tokens[index]
            if kind == "eof":
                return start
            if kind == "bad":
                if self.text[start] in PYTHON_CHARS and self.python_at < 0:
                    self.python_at = start
            elif kind == "[":
                depth += 1
            elif kind == "]":
                depth -= 1
            elif kind == "nl" and (depth <= 0 or self.starts_statement(index + 1)):
                return end
            index += 1

    def starts_statement(self, index: int) -> bool:
        return self.tokens[index][0] == "key" and self.tokens[index + 1][0] in ("=", "+=")

    def raise_errors(self) -> NoReturn:
        diagnostics = list(self.errors)
        if len(diagnostics) >= MAX_ERRORS:
            diagnostics.append(Diagnostic("note", f"stopped after {MAX_ERRORS} errors",
                                          self.source, len(self.text), len(self.text)))
        if self.python_at >= 0:
            diagnostics.append(Diagnostic(
                "note", "this file looks like it contains Python code; xl no longer "
                "supports arbitrary Python (https://wiki.xen.org/wiki/PythonInXlConfig)",
                self.source, self.python_at, self.python_at + 1,
                hint="it is probably a legacy xm config: convert it with "
                "`xl-py migrate-config FILE`", code="python"))
        raise ConfigSyntaxError(diagnostics)


def _shown(text: str) -> str:
    """Source text quoted in a message: at most 40 characters, printable,
    invalid bytes and control characters escaped."""
    if len(text) > 40:
        text = text[:37] + "..."
    if text.isprintable():
        return text
    raw = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 0x100
                   else f"\\u{ord(ch):04x}" for ch in raw)


def _invalid_utf8(source: Source, offset: int) -> Diagnostic:
    byte = ord(source.text[offset]) - 0xDC00
    return Diagnostic("error", f"invalid UTF-8 (byte {byte:02x})", source, offset, offset + 1,
                      "text in UTF-8 (other encodings are accepted in comments only)",
                      "convert the file, e.g. iconv -f latin1 -t utf-8", code="encoding")


def _unexpected_hint(kind: str, word: str, expected: str) -> str | None:
    if kind == "key" and expected in (EXPECTED_VALUE, EXPECTED_ITEM):
        return f"strings must be quoted: '{word}'"
    if kind == "nl" and expected == EXPECTED_VALUE:
        return "a value must be on the same line as its key"
    if kind == "," and expected == EXPECTED_ITEM:
        return "list items cannot be empty; write '' for an empty string"
    if kind in ("str", "num", "[") and expected == EXPECTED_SEPARATOR:
        return "separate list items with ','"
    if kind in ("key", "str", "num") and expected == EXPECTED_END:
        return "put each setting on its own line or separate them with ';'"
    return None


_PY_WORDS = frozenset(("import", "from", "def", "if", "for", "while", "class", "return",
                       "try", "with", "print", "global", "del", "elif", "else"))
_KEY_HINT = "keys are lower-case letters, digits, '.' and '_', starting with a letter"
_BAD_ANYWHERE = "\r\ufeff'\"+-:"
_GLUED_HINT = {
    "X": "write hex numbers with a lower-case x: 0x10",
    ".": "numbers are whole numbers; quote other text: '1.5'",
}

_BAD_CHARACTERS: dict[str, tuple[str, str | None]] = {
    # char: (message, hint)
    "\r": ("carriage return: the file has DOS (CRLF) line endings, which xl rejects",
           "convert the file with dos2unix or sed -i 's/\\r$//' FILE"),
    "\ufeff": ("byte-order mark (U+FEFF), which xl rejects", "save the file without a BOM"),
    "'": ("unterminated string", "strings end on the line where they start"),
    '"': ("unterminated string", "strings end on the line where they start"),
    "-": ("unexpected character '-'", "negative numbers and other text must be quoted: '-1'"),
    ".": ("unexpected character '.'", "numbers are whole numbers; quote other text: '1.5'"),
    "+": ("unexpected character '+'", "'+=' appends to a setting; quote other text"),
    "/": ("unexpected character '/'", "paths must be quoted: '/path/to/file'"),
    "(": ("unexpected character '('", "xl.cfg has no function calls or tuples"),
    ")": ("unexpected character ')'", "xl.cfg has no function calls or tuples"),
    ":": ("unexpected character ':'", "quote values containing ':'"),
}


def _bad_character(char: str) -> tuple[str, str | None]:
    """(message, hint) for a character xl's lexer rejects."""
    known = _BAD_CHARACTERS.get(char)
    if known is not None:
        message, hint = known
    elif "A" <= char <= "Z":
        message = f"unexpected upper-case letter '{char}'"
        hint = "keys are lower-case, text must be quoted; for Python's True/False write 1/0"
    elif not char.isprintable():
        message, hint = f"unexpected control character U+{ord(char):04X}", None
    elif ord(char) > 0x7F:
        message = f"unexpected character '{char}' (U+{ord(char):04X}) outside a string"
        hint = "non-ASCII text must be quoted"
    else:
        message, hint = f"unexpected character '{char}'", "quote text values: 'text'"
    return message, hint
