from __future__ import annotations

import pytest

from xl_py.cli.opts import Opt, parse
from xl_py.errors import UsageError

TABLE = (Opt("quiet", "q", "quiet"), Opt("defconfig", "f", "defconfig", arg=True),
         Opt("verbose", "v"))


def test_clusters_long_options_and_interleaved_args() -> None:
    p = parse(["-vvq", "a.cfg", "--defconfig=x", "memory=5", "-fy"], TABLE)
    assert p.count("verbose") == 2 and p.flag("quiet")
    assert p.value("defconfig") == "y"
    assert p.args == ["a.cfg", "memory=5"]


def test_unique_long_prefix_and_double_dash() -> None:
    p = parse(["--def", "z", "--", "-q"], TABLE)
    assert p.value("defconfig") == "z" and p.args == ["-q"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-x"], "create: invalid option -- 'x'"),
        (["-f"], "create: option requires an argument -- 'f'"),
        (["--nope"], "create: unrecognized option '--nope'"),
        (["--quiet=1"], "create: option '--quiet' doesn't allow an argument"),
    ],
)
def test_usage_errors_name_the_option(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse(argv, TABLE, "create")
    assert str(info.value) == message
