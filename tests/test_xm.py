"""Legacy xm reader: literal semantics, xmexample idioms, hostile files run nothing."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from fuzzing import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_py._types import HostInfo
from xl_py.errors import ConfigSyntaxError
from xl_py.syntax.xm import parse_number, read_xm

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def values(text: str, **defines: str) -> dict[str, object]:
    cfg = read_xm(text, "t.cfg", defines=defines)
    assert cfg.errors == (), [d.format() for d in cfg.errors]
    return cfg.as_dict()


def messages(text: str) -> list[str]:
    return [d.format() for d in read_xm(text, "t.cfg").diagnostics]


# ---- literals: Python's own literal_eval is the oracle (Python 3 spellings)

literals = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=examples(200), deadline=None)
@given(literals)
def test_literals_agree_with_literal_eval(value: object) -> None:
    text = repr(value)
    assert values(f"x = {text}\n")["x"] == ast.literal_eval(text)


@pytest.mark.parametrize("text", [
    "'a\\tb'", '"\\x41\\u00e9"', "r'\\d+'", "'''multi\nline'''", '"""tri"ple"""',
    "'a' 'b' \"c\"", "u'uni'", "b'bytes'", "1e3", "0x1F", "0o17", "-5", "+3", "(1,)", "()",
    "[1, [2, (3,)]]", "{'a': 1, 2: [3]}", "3.5j",
])
def test_literal_spellings(text: str) -> None:
    expected = ast.literal_eval(text)
    if isinstance(expected, bytes):
        expected = expected.decode()
    assert values(f"x = {text}\n")["x"] == expected


@pytest.mark.parametrize(("text", "value"), [
    ("0755", 0o755), ("10L", 10), ("0x10L", 16), ("0", 0), ("00", 0),
])
def test_python2_numbers(text: str, value: int) -> None:
    assert parse_number(text) == value


def test_python2_division_floors_ints() -> None:
    assert values("a = 7 / 2\nb = 7.0 / 2\nc = 7 // 2\n") == {"a": 3, "b": 3.5, "c": 3}


def test_operators_and_references() -> None:
    got = values(
        "base = 'vm'\nn = 3\nname = base + '%02d' % n\nmem = 128 * 2 ** 2\n"
        "disk = ['phy:sda%d,sda1,w' % (7 + n)] + ['file:/x,xvdb,r']\n"
        "s = name.upper()[1:]\nok = n > 1 and n in [1, 2, 3] and not False\n"
        "d = {'k': n}\nt = 'a' if n == 3 else 'b'\n"
        "disk.append('phy:/dev/x,xvdc,w')\nmem += 1\n"
    )
    assert got["name"] == "vm03"
    assert got["mem"] == 513
    assert got["disk"] == ["phy:sda10,sda1,w", "file:/x,xvdb,r", "phy:/dev/x,xvdc,w"]
    assert got["s"] == "M03"
    assert got["ok"] is True
    assert got["t"] == "a"


XMEXAMPLE_HVM = """\
import os, re
arch = os.uname()[4]
if re.search('64', arch):
    arch_libdir = 'lib64'
else:
    arch_libdir = 'lib'
if os.uname()[0] == 'Linux' and re.search('64', arch):
    note = 'linux64'
elif arch == 'ia64':
    note = 'ia64'
else:
    note = 'other'
device_model = '/usr/' + arch_libdir + '/xen/bin/qemu-dm'
"""


@pytest.mark.parametrize(("arch", "libdir", "note"), [
    ("x86_64", "lib64", "linux64"), ("i686", "lib", "other"), ("ia64", "lib64", "linux64"),
])
def test_xmexample_arch_idiom_uses_host_facts(arch: str, libdir: str, note: str) -> None:
    cfg = read_xm(XMEXAMPLE_HVM, "hvm.cfg", host=HostInfo(arch=arch))
    assert cfg.errors == ()
    assert cfg.get("device_model") == f"/usr/{libdir}/xen/bin/qemu-dm"
    assert cfg.get("note") == note


XMEXAMPLE2 = """\
def vmid_check(var, val):
    val = int(val)
    if val <= 0:
        raise ValueError
    return val

xm_vars.var('vmid', use="Virtual machine id. Integer greater than 0.", check=vmid_check)
xm_vars.check()
name = "VM%d" % vmid
disk = [ 'phy:sda%d,sda1,w' % (7+vmid) ]
"""


def test_xm_create_variables_come_from_defines() -> None:
    cfg = read_xm(XMEXAMPLE2, "ex2", defines={"vmid": "3"})
    assert cfg.errors == ()
    assert cfg.as_dict() == {"name": "VM3", "disk": ["phy:sda10,sda1,w"]}
    assert [d.severity for d in cfg.diagnostics] == ["warning"]


def test_missing_define_is_reported_with_a_hint() -> None:
    cfg = read_xm(XMEXAMPLE2, "ex2")
    assert [d.format() for d in cfg.errors] == [
        "ex2:8:1: error: xm create variable(s) vmid not given\n"
        "    8 | xm_vars.check()\n"
        "      | ^^^^^^^^^^^^^^^\n"
        "  hint: pass them with --define NAME=VALUE",
        "ex2:9:17: error: name 'vmid' is not defined\n"
        "    9 | name = \"VM%d\" % vmid\n"
        "      |                 ^^^^\n"
        "  hint: pass it with --define vmid=VALUE",
        "ex2:10:34: error: name 'vmid' is not defined\n"
        "   10 | disk = [ 'phy:sda%d,sda1,w' % (7+vmid) ]\n"
        "      |                                  ^^^^\n"
        "  hint: pass it with --define vmid=VALUE",
    ]


# ---- hostile files: positioned errors, and nothing ran


def test_hostile_file_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = (
        f"import os; os.system('touch {marker}')\n"
        f"open('{marker}', 'w')\n"
        f"__import__('os').system('touch {marker}')\n"
        f"exec \"open('{marker}', 'w')\"\n"
        f"import subprocess\n"
        f"x = [open('{marker}', 'w') for i in range(3)]\n"
        f"f = lambda: open('{marker}', 'w')\n"
        f"while True: pass\n"
        f"for i in range(10**12): pass\n"
        f"y = ().__class__.__base__.__subclasses__()\n"
        f"getattr(os, 'system')('touch {marker}')\n"
        f"memory = 512\n"
    )
    cfg = read_xm(text, "evil.cfg")
    assert not marker.exists()
    assert cfg.as_dict() == {"memory": 512}
    lines = [d.location() for d in cfg.errors]
    assert lines == [f"evil.cfg:{n}:{c}" for n, c in
                     [(1, 12), (2, 1), (3, 1), (4, 1), (5, 8), (6, 6), (7, 5), (8, 1), (9, 1),
                      (10, 5), (11, 1)]]
    assert cfg.errors[0].format() == (
        "evil.cfg:1:12: error: call of 'os.system()': not run\n"
        f"    1 | import os; os.system('touch {marker}')\n"
        "      |            " + "^" * len(f"os.system('touch {marker}')") + "\n"
        "  hint: only os.uname(), re.search() and re.match() are read"
    )


@pytest.mark.parametrize(("text", "message"), [
    ("x = 2 ** 10000000\n",
     "t.cfg:1:5: error: exponentiation result larger than 65536 bits: not run"),
    ("x = 'a' * 10**9\n", "t.cfg:1:5: error: sequence repetition larger than the limit: not run"),
    ("x = [0] * 10**9\n", "t.cfg:1:5: error: sequence repetition larger than the limit: not run"),
    ("x = '%*d' % (10**9, 1)\n", "t.cfg:1:5: error: '%' format with a huge or '*' width: not run"),
    ("x = '%0999999999d' % 1\n",
     "t.cfg:1:5: error: '%' format with a huge or '*' width: not run"),
    ("import re\nx = re.search('(a+)+$', 'a' * 40 + 'b')\n",
     "t.cfg:2:5: error: re.search() with a quantified group, more than two quantifiers or "
     "a long subject: not run"),
    ("import re\nx = re.search(r'\\d*\\d*\\d*x', '1' * 1000)\n",
     "t.cfg:2:5: error: re.search() with a quantified group, more than two quantifiers or "
     "a long subject: not run"),
    ("x = 10 ** 5000 * 10 ** 5000 * 10 ** 5000 * 10 ** 5000 * 10 ** 5000\n",
     "t.cfg:1:5: error: integer product larger than 65536 bits: not run"),
])
def test_resource_bombs_are_refused(text: str, message: str) -> None:
    assert messages(text)[0].splitlines()[0] == message


def test_doubling_strings_is_bounded() -> None:
    text = "a = 'x' * 1000\n" + "a = a + a\n" * 40
    cfg = read_xm(text, "t.cfg")
    assert cfg.errors
    assert cfg.errors[0].message == "concatenation larger than the limit: not run"


def test_deep_nesting_is_a_positioned_syntax_error() -> None:
    with pytest.raises(ConfigSyntaxError) as exc:
        read_xm("x = " + "[" * 100 + "]" * 100 + "\n", "deep.cfg")
    assert str(exc.value).splitlines()[0] == (
        "deep.cfg:1:69: error: brackets nested deeper than 64 levels")


def test_deep_unary_chain_is_refused_not_crashed() -> None:
    cfg = read_xm("x = " + "-" * 5000 + "1\n", "t.cfg")
    assert cfg.errors[0].message == "expression nested deeper than 100 levels: not run"


def test_syntax_error_is_positioned() -> None:
    with pytest.raises(ConfigSyntaxError) as exc:
        read_xm("name = 'a'\nmemory = = 3\n", "bad.cfg")
    assert str(exc.value) == (
        "bad.cfg:2:10: error: unexpected '='\n"
        "    2 | memory = = 3\n"
        "      |          ^\n"
        "  expected: Python literal syntax as in xmexample files"
    )


def test_invalid_utf8_is_positioned() -> None:
    with pytest.raises(ConfigSyntaxError) as exc:
        read_xm(b"name = 'a'\nx = '\xff'\n", "bin.cfg")
    assert str(exc.value).splitlines()[0] == "bin.cfg:2:6: error: invalid UTF-8 in xm config"


# ---- every xmexample Xen ever shipped reads without errors

XM_EXAMPLES = sorted(CORPUS.glob("xen-examples/*/xmexample*"))


@pytest.mark.skipif(not XM_EXAMPLES, reason="../shared/corpus not present")
@pytest.mark.parametrize("path", XM_EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_xen_examples_read_cleanly(path: Path) -> None:
    cfg = read_xm(path.read_text(), str(path), defines={"vmid": "1"})
    assert cfg.errors == ()
    assert cfg.get("name") or cfg.get("kernel")


def test_nothing_written_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    read_xm("import os\nos.mkdir('pwned')\nos.system('touch x')\n", "t.cfg")
    assert os.listdir(tmp_path) == []


def test_invalid_python2_octal_is_a_positioned_error() -> None:
    cfg = read_xm("a = 089\nb = 2\n", "t.cfg")
    assert [d.format() for d in cfg.errors] == [
        "t.cfg:1:5: error: invalid number '089'\n    1 | a = 089\n      |     ^^^"]
    assert cfg.as_dict() == {"b": 2}


TOKENS = st.sampled_from([
    "x", "y", " = ", "1", "0x1f", "'s'", '"t"', "[", "]", "(", ")", "{", "}", ", ", ": ", "+",
    "-", "*", "%", "/", "**", ".", "os", "re", "import ", "if ", "else", "elif ", "\n", "\n  ",
    "not ", " and ", " or ", " in ", "==", "<", "lambda", "for ", "def ", "#c", "'%d'", "[0]",
    "uname()", "search('6', x)", "int(", "str(", "len(", "True", "None", "\\\n", ";", "`",
])


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(TOKENS, max_size=40).map("".join))
def test_arbitrary_input_never_crashes(text: str) -> None:
    """Any input: a result with diagnostics, or a ConfigSyntaxError — nothing else,
    and the fast path agrees with the grammar."""
    try:
        fast = read_xm(text, "f.cfg", defines={"vmid": "1"})
    except ConfigSyntaxError:
        with pytest.raises(ConfigSyntaxError):
            read_xm(text, "f.cfg", defines={"vmid": "1"}, fast=False)
        return
    slow = read_xm(text, "f.cfg", defines={"vmid": "1"}, fast=False)
    assert fast.bindings == slow.bindings
    assert [d.format() for d in fast.diagnostics] == [d.format() for d in slow.diagnostics]
