"""A small getopt_long work-alike driven by option tables.

xl parses every subcommand with ``getopt_long`` (SWITCH_FOREACH_OPT); xl-py
does the same with a table per command, so startup costs no framework import.
Options and positionals may be interleaved; ``--`` ends the options.
"""

from __future__ import annotations

from collections.abc import Sequence

from xl_py._record import Record
from xl_py.errors import UsageError


class Opt(Record):
    dest: str
    short: str = ""  # one letter, no dash
    long: str = ""  # without dashes
    arg: bool = False  # takes a value
    repeat: bool = False  # value(s) collected into a list / counted


class Parsed(Record):
    values: dict[str, object]
    args: list[str]

    def flag(self, dest: str) -> bool:
        return bool(self.values.get(dest))

    def count(self, dest: str) -> int:
        v = self.values.get(dest, 0)
        return v if isinstance(v, int) else 0

    def value(self, dest: str) -> str | None:
        v = self.values.get(dest)
        return v if isinstance(v, str) else None

    def values_of(self, dest: str) -> list[str]:
        v = self.values.get(dest)
        return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def parse(argv: Sequence[str], table: Sequence[Opt], command: str = "") -> Parsed:
    """Parse ``argv`` against ``table``; raise :class:`UsageError` on misuse."""
    shorts = {o.short: o for o in table if o.short}
    longs = {o.long: o for o in table if o.long}
    values: dict[str, object] = {}
    args: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if word == "--":
            args.extend(argv[i:])
            break
        if word.startswith("--") and len(word) > 2:
            name, eq, inline = word[2:].partition("=")
            opt = _match_long(longs, name, command)
            if opt.arg and not eq:
                if i >= len(argv):
                    raise UsageError(f"{_who(command)}option '--{opt.long}' requires an argument")
                inline = argv[i]
                i += 1
            elif eq and not opt.arg:
                raise UsageError(f"{_who(command)}option '--{opt.long}' doesn't allow an argument")
            _store(values, opt, inline if opt.arg else None)
        elif word.startswith("-") and len(word) > 1:
            i = _parse_shorts(word, argv, i, shorts, values, command)
        else:
            args.append(word)
    return Parsed(values, args)


def _parse_shorts(
    word: str,
    argv: Sequence[str],
    i: int,
    shorts: dict[str, Opt],
    values: dict[str, object],
    command: str,
) -> int:
    """Handle a cluster like ``-vvp`` or ``-fFILE``; return the next index."""
    j = 1
    while j < len(word):
        letter = word[j]
        opt = shorts.get(letter)
        if opt is None:
            raise UsageError(f"{_who(command)}invalid option -- '{letter}'")
        if opt.arg:
            rest = word[j + 1 :]
            if not rest:
                if i >= len(argv):
                    raise UsageError(f"{_who(command)}option requires an argument -- '{letter}'")
                rest = argv[i]
                i += 1
            _store(values, opt, rest)
            return i
        _store(values, opt, None)
        j += 1
    return i


def _match_long(longs: dict[str, Opt], name: str, command: str) -> Opt:
    if name in longs:
        return longs[name]
    found = [o for n, o in longs.items() if n.startswith(name)]
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(f"{_who(command)}option '--{name}' is ambiguous")
    raise UsageError(f"{_who(command)}unrecognized option '--{name}'")


def _store(values: dict[str, object], opt: Opt, value: str | None) -> None:
    if value is None:
        prior = values.get(opt.dest, 0)
        values[opt.dest] = (prior if isinstance(prior, int) else 0) + 1
    elif opt.repeat:
        bucket = values.setdefault(opt.dest, [])
        if isinstance(bucket, list):
            bucket.append(value)
    else:
        values[opt.dest] = value


def _who(command: str) -> str:
    return f"{command}: " if command else ""
