"""The syntax cases shared by the xl.cfg differential, grammar and golden tests.

Each case is (name, bytes).  Names are stable: the golden error file
tests/data/syntax/errors.golden is keyed by them.
"""

from __future__ import annotations

Case = tuple[str, bytes]

# value spellings, each tried as `a = VALUE\n`
VALUES: dict[str, str] = {
    # numbers as libxlutil lexes them: [0-9][0-9a-fx]*
    "num-zero": "0",
    "num-decimal": "512",
    "num-hex": "0x1f",
    "num-hex-long": "0x7fffffffffffffff",
    "num-octal": "010",
    "num-bad-octal": "08",
    "num-letters": "12abc",
    "num-x": "1x",
    "num-hex-upper": "0X10",
    "num-dot": "1.5",
    "num-negative": "-1",
    "num-plus": "+5",
    "num-suffix": "512M",
    "num-trailing-word": "12abz",
    "num-huge": "99999999999999999999999",
    "num-leading-zeros": "007",
    "num-hex-zero": "0x0",
    "num-hex-only-prefix": "0x",
    "num-x-inside": "1x2",
    "num-tab-before": "\t1",
    # strings and escapes
    "str-single": "'hvm'",
    "str-double": '"hvm"',
    "str-empty-single": "''",
    "str-empty-double": '""',
    "str-spaces": "'a b  c'",
    "str-tab": "'a\tb'",
    "str-apostrophe-in-double": '"it\'s"',
    "str-quote-in-single": "'say \"hi\"'",
    "str-hash": "'#not a comment'",
    "str-utf8": "'caf\u00e9 \u2603'",
    "str-brackets": "'[1, 2]'",
    "str-semicolon": "'a;b'",
    "str-escape-backslash": r"'a\\b'",
    "str-escape-single": r"'it\'s'",
    "str-escape-double": r'"say \"hi\""',
    "str-escape-mixed-quote": r"'\"'",
    "str-escape-a": r"'\a'",
    "str-escape-b": r"'\b'",
    "str-escape-f": r"'\f'",
    "str-escape-n": r"'line\nnext'",
    "str-escape-r": r"'\r'",
    "str-escape-t": r"'\t'",
    "str-escape-v": r"'\v'",
    "str-escape-unknown": r"'\q'",
    "str-escape-digit8": r"'\8'",
    "str-escape-hex": r"'\x41'",
    "str-escape-hex-short": r"'\x4'",
    "str-escape-hex-bad": r"'\xzz'",
    "str-escape-octal": r"'x\101y'",
    "str-escape-octal-2": r"'x\12y'",
    "str-escape-octal-1": r"'x\1y'",
    "str-escape-octal-end": r"'\12'",
    "str-escape-octal-nul": r"'\0'",
    "str-escape-octal-big": r"'\400'",
    "str-unterminated": "'abc",
    "str-unterminated-double": '"abc',
    "str-mismatched": "'abc\"",
    "str-two": "'a' 'b'",
    "str-triple-single": "'''x'''",
    "str-triple-double": '"""x"""',
    "str-four-quotes": "''''",
    "str-comment-after": "'x'#c",
    # lists
    "list-empty": "[]",
    "list-empty-space": "[ ]",
    "list-empty-newline": "[\n]",
    "list-one": "[1]",
    "list-trailing-comma": "[1,]",
    "list-trailing-comma-newline": "[1,\n]",
    "list-three": "['a', 'b', 'c']",
    "list-multiline": "[\n  'a',\n  'b'\n]",
    "list-newline-before-comma": "[1\n, 2]",
    "list-comment-inside": "[ 'a', # first\n  'b' # second\n]",
    "list-nested": "[[1], [2, [3]]]",
    "list-nested-empty": "[[]]",
    "list-mixed": "[1, 'a', [\"b\"]]",
    "list-only-comma": "[,]",
    "list-double-comma": "[1,,2]",
    "list-no-comma": "[1 2]",
    "list-two-trailing": "[1,,]",
    "list-unclosed": "[1, 2",
    "list-unclosed-newline": "[1, 2\nb = 3",
    "list-close-only": "]",
    "list-two-lists": "[1] [2]",
    "list-word-item": "[hvm]",
    "list-tuple": "(1, 2)",
    "list-dict": "{'a': 1}",
    "list-comment-after": "[1]#c",
    "list-blank-lines": "[\n\n]",
    "list-blank-lines-items": "[1,\n\n 2,\n]",
    "list-tabs": "[\t1,\t2\t]",
    "list-trailing-comma-three": "[1,2,3,]",
    # bare words and Python spellings
    "word-bare": "hvm",
    "word-true": "True",
    "word-none": "None",
    "word-path": "/boot/vmlinuz",
    "word-call": "os.path.join('a')",
    "value-missing": "",
    "value-equals": "= 1",
}

# whole files
FILES: dict[str, str] = {
    "file-empty": "",
    "file-blank": "\n\n   \n\t\n",
    "file-comment-only": "# nothing here\n",
    "file-comment-eof": "# no newline",
    "file-hash-eof": "#",
    "file-no-final-newline": "a = 1",
    "file-final-comment-no-newline": "a = 1\n# end",
    "file-inline-comment": "a = 1 # one\n",
    "file-inline-comment-eof": "a = 1 # one",
    "file-semicolons": "a = 1; b = 2;\n",
    "file-empty-statements": ";;\na = 1;;;\n;\n",
    "file-semicolon-no-newline": "a = 1;",
    "file-two-on-a-line": "a = 1 b = 2\n",
    "file-indented": "   a = 1\n\tb = 2\n",
    "file-no-spaces": "a=1\nb='x'\nc=[1,2]\n",
    "file-last-wins": "a = 1\na = 2\n",
    "file-last-wins-type": "a = 1\na = [2]\n",
    "file-key-dots": "a.b_c9 = 1\nvif.default.bridge = 'br0'\n",
    "file-key-digit": "x9 = 1\n",
    "file-key-underscore-start": "_a = 1\n",
    "file-key-digit-start": "9a = 1\n",
    "file-key-upper": "Memory = 1\n",
    "file-key-dash": "a-b = 1\n",
    "file-key-only": "a\n",
    "file-key-trailing-dot": "a. = 1\n",
    "file-key-double-dot": "a..b = 1\n",
    "file-key-list": "[1] = 2\n",
    "file-key-string": "'a' = 1\n",
    "file-leading-semicolon": ";a=1\n",
    "file-space-semicolon": "a = 1 ;\n",
    "file-compact": "a='x';b='y';c=[1]\n",
    "file-key-only-eof": "a",
    "file-no-key": "= 1\n",
    "file-double-equals": "a == 1\n",
    "file-colon": "a: 1\n",
    "file-value-next-line": "a =\n1\n",
    "file-two-values": "a = 1 2\n",
    "file-crlf": "a = 1\r\nb = 2\r\n",
    "file-cr-in-string": "a = 'x\ry'\n",
    "file-bom": "\ufeffa = 1\n",
    "file-control-char": "a = 1\x01\n",
    "file-form-feed": "\x0ca = 1\n",
    "file-non-ascii-key": "caf\u00e9 = 1\n",
    "file-many-errors": "a = foo\nb = 1\nc = [1 2]\nd = 'x\ne = 3\n",
    "file-python": "import os\nmemory = 512\nname = 'g%d' % 1\n",
    "file-python-def": "def f():\n    return 1\n",
    "file-xm-style": "kernel = '/boot/vmlinuz'\nmemory = 512\nvif = [ '' ]\ndisk = [ 'phy:/dev/vg/g,xvda,w' ]\nroot = '/dev/xvda ro'\n",  # noqa: E501
    "file-unclosed-list-then-key": "disk = [ 'a',\n  'b'\nvif = [ 'c' ]\n",
    "file-error-then-good": "a = foo\nb = 2\n",
    # += semantics
    "add-string": "a = 'x'\na += 'y'\n",
    "add-string-twice": "a = 'x'\na += 'y'\na += 'z'\n",
    "add-list": "a = [1]\na += [2, 3]\n",
    "add-list-nested": "a = [[1]]\na += [[2]]\n",
    "add-first": "a += 'x'\n",
    "add-first-list": "a += [1]\n",
    "add-numbers": "a = 1\na += 2\n",
    "add-then-assign": "a = 'x'\na += 'y'\na = 'z'\n",
    "add-list-to-string": "a = 'x'\na += [1]\n",
    "add-string-to-list": "a = [1]\na += 'x'\n",
    "add-after-last-wins": "a = [1]\na = 'x'\na += 'y'\n",
    "add-semicolon": "a = 'x'; a += 'y'\n",
    "add-space": "a + = 'x'\n",
    "add-no-value": "a +=\n",
    "add-no-key": "+= 1\n",
    "add-minus": "a -= 1\n",
    # realistic
    "file-realistic": (
        "# a PV guest\n"
        "name = \"guest\"\n"
        "type = 'pvh'\n"
        "memory = 1024\n"
        "maxmem = 0x800\n"
        "vcpus = 2\n"
        "cpus = \"0-3,^1\"\n"
        "kernel = \"/boot/vmlinuz\"\n"
        "extra = 'console=hvc0 root=/dev/xvda1'\n"
        "disk = [ 'format=raw, vdev=xvda, access=rw, target=/dev/vg/guest',\n"
        "         'file:/srv/iso/d.iso,xvdc:cdrom,r', ]\n"
        "vif = [ \"mac=00:16:3e:00:00:01,bridge=xenbr0\" ]\n"
        "on_crash = 'preserve'; on_reboot = 'restart'\n"
        "vfb = [ 'vnc=1' ]\n"
        "extra += ' quiet'\n"
        "disk += [ 'phy:/dev/vg/data,xvdb,w' ]\n"
    ),
}


def _nested(depth: int) -> str:
    return "a = " + "[" * depth + "1" + "]" * depth + "\n"


FILES["list-deep-100"] = _nested(100)
FILES["list-deep-101"] = _nested(101)

BINARY: dict[str, bytes] = {
    "bytes-nul": b"a = 1\n\x00\n",
    "bytes-nul-in-string": b"a = 'x\x00y'\n",
    "bytes-latin1-in-string": b"a = 'caf\xe9'\n",
    "bytes-latin1-in-comment": b"# caf\xe9\na = 1\n",
    "bytes-junk": bytes(range(1, 256)) * 2,
}


def all_cases() -> list[Case]:
    cases: list[Case] = [(f"value-{name}", f"a = {text}\n".encode()) for name, text in
                         VALUES.items()]
    cases += [(name, text.encode()) for name, text in FILES.items()]
    cases += list(BINARY.items())
    return cases
