"""``xl-py migrate-config`` as an admin runs it on a whole /etc/xen tree: what is
converted, what is skipped and why, output names, permissions, atomic writes,
exit codes and the JSON report (the key mapping itself: tests/test_migrate.py)."""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from xl_py._record import replace
from xl_py.cli.commands import migrate_config
from xl_py.cli.context import Context
from xl_py.cli.main import run as cli_run
from xl_py.errors import Diagnostic, Source, UsageError

ROOT = Path(__file__).resolve().parents[1]
LEGACY = ROOT / "configs" / "legacy"

PV = 'name = "{name}"\nmemory = 256\nkernel = "/boot/vmlinuz"\n'


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli_run(list(argv), Context(stdout=out, stderr=err))
    return rc, out.getvalue(), err.getvalue()


def etc_xen(root: Path) -> Path:
    """A RHEL 5 /etc/xen: xend's own files, scripts, examples, backups, auto/
    links, guests with and without suffixes."""
    xen = root / "etc-xen"
    for d in ("scripts", "auto", "nested/sub", ".svn"):
        (xen / d).mkdir(parents=True)
    files = {
        "xend-config.sxp": "(xend-relocation-server no)\n(vif-script vif-bridge)\n",
        "xend-pci-permissive.sxp": "(unconstrained_dev_ids ('0000:0000:0000:0000'))\n",
        "xl.conf": 'autoballoon="off"\n',
        "README": "Xen's configuration directory\n",
        "xmexample1": PV.format(name="ExampleDomain"),
        "scripts/vif-bridge": "#!/bin/sh\nexit 0\n",
        "qemu-ifup": "#!/bin/sh\n/sbin/ifconfig $1 0.0.0.0 up\n",
        "web": (LEGACY / "rhel5-pv-pygrub.xm").read_text(),
        "web.rpmsave": PV.format(name="web"),
        "web~": PV.format(name="web"),
        ".web.swp": "binary\0swap",
        "win2003.cfg": (LEGACY / "rhel5-hvm.xm").read_text(),
        "old.sxp": (LEGACY / "rhel5-pv.sxp").read_text(),
        "py": "#!/usr/bin/python\n" + PV.format(name="py"),
        "broken": 'name = "broken"\nmemory = = 1\n',
        "nested/sub/deep": PV.format(name="deep"),
        "auto/only-here": PV.format(name="onlyhere"),
    }
    for name, text in files.items():
        (xen / name).write_text(text)
    (xen / "disk.img").write_bytes(b"\x7fELF\0\0\0\x01" * 8)
    (xen / "dangling").symlink_to("/nonexistent/guest")
    (xen / "auto" / "web").symlink_to("../web")
    (xen / "auto" / "win2003").symlink_to("../win2003.cfg")
    return xen


def test_a_tree_says_what_it_skipped_and_why(tmp_path: Path) -> None:
    xen = etc_xen(tmp_path)
    out = tmp_path / "out"
    rc, text, _ = cli("migrate-config", "-o", str(out), str(xen))
    assert rc == 1  # broken
    heads = [line.replace(str(xen) + "/", "").replace(str(out) + "/", "OUT/")
             for line in text.splitlines()
             if (line.startswith(str(xen)) and ": skipped: " in line) or " -> " + str(out) in line
             or line.endswith(": failed (xm)")]
    assert heads == [
        ".web.swp: skipped: a hidden file",
        "README: skipped: documentation",
        "broken: failed (xm)",
        "dangling: skipped: a dangling link (to /nonexistent/guest)",
        "disk.img: skipped: a binary file",
        "old.sxp: ok (sxp) -> OUT/old.cfg",
        "py: ok (xm) -> OUT/py",
        "qemu-ifup: skipped: a script (#!/bin/sh)",
        "web: ok (xm) -> OUT/web",
        "web.rpmsave: skipped: a package manager's copy",
        "web~: skipped: an editor's backup copy",
        "win2003.cfg: ok (xm) -> OUT/win2003.cfg",
        "xend-config.sxp: skipped: xend's own settings (xl has no daemon; xl's settings "
        "are xl.conf)",
        "xend-pci-permissive.sxp: skipped: xend's PCI lists (xl: permissive=1 / a quirk in "
        "each pci= spec)",
        "xl.conf: skipped: xl's own settings, not a guest",
        "xmexample1: skipped: Xen's example config (name it on the command line to convert it)",
        ".svn: skipped: a hidden directory",
        "scripts: skipped: hotplug scripts",
        "auto/only-here: ok (xm) -> OUT/auto/only-here",
        "auto/web: skipped: a link to web (xendomains starts it at boot: keep the link)",
        "auto/win2003: skipped: a link to win2003.cfg (xendomains starts it at boot: "
        "keep the link)",
        "nested/sub/deep: ok (xm) -> OUT/nested/sub/deep",
    ]
    assert text.splitlines()[-1] == (
        f"22 file(s): 6 converted, 15 skipped, 1 failed: {xen / 'broken'}")
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "auto/only-here", "nested/sub/deep", "old.cfg", "py", "web", "win2003.cfg"]


def test_json_report_schema(tmp_path: Path) -> None:
    xen = etc_xen(tmp_path)
    out = tmp_path / "out"
    rc, text, _ = cli("migrate-config", "--report", "json", "-o", str(out), str(xen))
    assert rc == 1
    rep = json.loads(text)
    assert list(rep) == ["version", "counts", "failed", "files", "skipped"]
    assert rep["version"] == 1
    assert rep["counts"] == {"converted": 6, "skipped": 15, "failed": 1}
    assert rep["failed"] == [str(xen / "broken")]
    assert [f["status"] for f in rep["files"]].count("ok") == 6
    web = next(f for f in rep["files"] if f["source"] == str(xen / "web"))
    assert list(web) == ["source", "output", "status", "kind", "diagnostics", "keys"]
    assert web["output"] == str(out / "web")
    assert web["keys"][0] == {"key": "name", "status": "kept", "xl": ["name"], "detail": "",
                              "line": 3, "col": 1}
    assert rep["skipped"][:2] == [
        {"source": str(xen / ".web.swp"), "reason": "a hidden file"},
        {"source": str(xen / "README"), "reason": "documentation"}]


def test_only_skipped_and_converted_exits_0(tmp_path: Path) -> None:
    xen = tmp_path / "xen"
    (xen / "scripts").mkdir(parents=True)
    (xen / "scripts" / "network-bridge").write_text("#!/bin/sh\n")
    (xen / "xend-config.sxp").write_text("(dom0-cpus 0)\n")
    (xen / "g").write_text(PV.format(name="g"))
    rc, text, _ = cli("migrate-config", "-o", str(tmp_path / "out"), str(xen))
    assert rc == 0
    assert text.splitlines()[-1] == "3 file(s): 1 converted, 2 skipped, 0 failed"


def test_named_files_are_never_skipped(tmp_path: Path) -> None:
    """The skip rules are for walking: an xmexample named on the command line is converted."""
    src = tmp_path / "xmexample1"
    src.write_text(PV.format(name="ExampleDomain"))
    rc, out, err = cli("migrate-config", str(src))
    assert rc == 0
    assert 'name = "ExampleDomain"\n' in out
    assert err.endswith("1 file(s): 1 converted, 0 failed\n")


def test_same_stem_gets_whole_name_not_overwritten(tmp_path: Path) -> None:
    """same.cfg, same.sxp and same.xm all make same.json: the later ones keep their
    whole name; with --force the second used to overwrite the first."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "same.cfg").write_text(PV.format(name="one"))
    (src / "same.sxp").write_text("(vm (name two) (memory 128) "
                                  "(image (linux (kernel /boot/vmlinuz))))\n")
    (src / "same.xm").write_text(PV.format(name="three"))
    out = tmp_path / "out"
    for force in ((), ("--force",)):
        rc, text, _ = cli("migrate-config", *force, "--to", "json", "-o", str(out), str(src))
        assert rc == 0, text
        assert [line for line in text.splitlines() if " -> " in line and ": ok " in line] == [
            f"{src / 'same.cfg'}: ok (xm) -> {out / 'same.json'}",
            f"{src / 'same.sxp'}: ok (sxp) -> {out / 'same.sxp.json'}",
            f"{src / 'same.xm'}: ok (xm) -> {out / 'same.xm.json'}"]
        names = [json.loads((out / n).read_text())["c_info"]["name"]
                 for n in ("same.json", "same.sxp.json", "same.xm.json")]
        assert names == ["one", "two", "three"]


def test_two_sources_one_output_name_fails_the_second(tmp_path: Path) -> None:
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "web").write_text(PV.format(name=d))
    out = tmp_path / "out"
    rc, text, _ = cli("migrate-config", "--force", "-o", str(out), str(tmp_path / "a"),
                      str(tmp_path / "b"))
    assert rc == 1
    assert f"error: {out / 'web'} is also the output of {tmp_path / 'a' / 'web'} (convert one " \
           "of them into another -o directory)" in text.splitlines()
    assert 'name = "a"' in (out / "web").read_text()


def test_a_file_given_twice_or_inside_a_given_dir_is_converted_once(tmp_path: Path) -> None:
    xen = tmp_path / "xen"
    xen.mkdir()
    (xen / "g").write_text(PV.format(name="g"))
    out = tmp_path / "out"
    rc, text, _ = cli("migrate-config", "-o", str(out), str(xen / "g"), str(xen),
                      str(xen / "g"))
    assert rc == 0, text  # used to fail: out/g exists (written by this very run)
    assert [line for line in text.splitlines() if "skipped" in line] == [
        f"{xen / 'g'}: skipped: the same file as {xen / 'g'}",
        f"{xen / 'g'}: skipped: the same file as {xen / 'g'}",
        "3 file(s): 1 converted, 2 skipped, 0 failed"]


def test_output_dir_inside_the_tree_is_not_walked(tmp_path: Path) -> None:
    xen = tmp_path / "xen"
    xen.mkdir()
    (xen / "g").write_text(PV.format(name="g"))
    out = xen / "xl"
    assert cli("migrate-config", "-o", str(out), str(xen))[0] == 0
    rc, text, _ = cli("migrate-config", "--force", "-o", str(out), str(xen))
    assert rc == 0, text
    assert f"{out}: skipped: the output directory (-o)" in text.splitlines()
    assert not (out / "xl").exists()


def test_output_keeps_the_source_permissions(tmp_path: Path) -> None:
    """A config holding vncpasswd is 0600: its xl.cfg must not become world-readable."""
    src = tmp_path / "secret"
    src.write_text(PV.format(name="s") + 'vfb = [ "type=vnc,vncpasswd=hunter2" ]\n')
    src.chmod(0o600)
    pub = tmp_path / "pub"
    pub.write_text(PV.format(name="p"))
    pub.chmod(0o644)
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        rc, _, _ = cli("migrate-config", "-o", str(out), str(src), str(pub))
    finally:
        os.umask(old)
    assert rc == 0
    assert stat.S_IMODE((out / "secret").stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "pub").stat().st_mode) == 0o644
    assert "vncpasswd=hunter2" in (out / "secret").read_text()


def test_a_failed_write_leaves_neither_a_temp_file_nor_a_partial_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "g"
    src.write_text(PV.format(name="g"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "g").write_text("the admin's own file\n")

    def full(a: Any, b: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    rc, text, _ = cli("migrate-config", "--force", "-o", str(out), str(src))
    assert rc == 1
    assert f"error: {out / 'g'}: No space left on device" in text.splitlines()
    assert os.listdir(out) == ["g"]
    assert (out / "g").read_text() == "the admin's own file\n"


def test_write_new_never_replaces_a_file_that_appears_meanwhile(tmp_path: Path) -> None:
    """The no-clobber check is the link(2) itself, not only an exists() before it."""
    target = tmp_path / "g"
    real_link = os.link

    def racing_link(a: Any, b: Any) -> None:
        target.write_text("written by someone else\n")
        real_link(a, b)

    os_link, os.link = os.link, racing_link  # type: ignore[assignment]
    try:
        with pytest.raises(FileExistsError, match=r"g exists \(use --force to overwrite\)$"):
            migrate_config.write_new(target, "new\n", force=False)
    finally:
        os.link = os_link
    assert target.read_text() == "written by someone else\n"
    assert os.listdir(tmp_path) == ["g"]


def test_dangling_and_missing_named_sources_fail(tmp_path: Path) -> None:
    (tmp_path / "gone").symlink_to("/nonexistent/guest")
    rc, text, _ = cli("migrate-config", "-o", str(tmp_path / "out"), str(tmp_path / "gone"),
                      str(tmp_path / "nothere"))
    assert rc == 1
    assert text.splitlines() == [
        f"{tmp_path / 'gone'}: failed",
        f"error: {tmp_path / 'gone'}: a dangling link (to /nonexistent/guest)",
        f"{tmp_path / 'nothere'}: failed",
        f"error: {tmp_path / 'nothere'}: No such file or directory",
        f"2 file(s): 0 converted, 2 failed: {tmp_path / 'gone'}, {tmp_path / 'nothere'}"]


def test_fifo_in_a_tree_is_skipped_not_read(tmp_path: Path) -> None:
    xen = tmp_path / "xen"
    xen.mkdir()
    os.mkfifo(xen / "pipe")
    rc, text, _ = cli("migrate-config", "-o", str(tmp_path / "out"), str(xen))
    assert rc == 0
    assert text.splitlines() == [f"{xen / 'pipe'}: skipped: not a regular file",
                                 "1 file(s): 0 converted, 1 skipped, 0 failed"]


def test_usage_errors(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    cases = {
        ("-o", str(afile), str(LEGACY / "rhel5-pv.sxp")):
            f"migrate-config: -o {afile}: not a directory",
        ("-o", str(tmp_path / "out"), "-"):
            "migrate-config: '-' (standard input) goes alone and without -o: "
            "the result goes to stdout",
        ("-", str(LEGACY / "rhel5-pv.sxp")):
            "migrate-config: '-' (standard input) goes alone and without -o: "
            "the result goes to stdout",
        (): "migrate-config: no source given (files or directories)",
    }
    for argv, message in cases.items():
        with pytest.raises(UsageError) as exc:
            cli("migrate-config", *argv)
        assert str(exc.value) == message
    assert not (tmp_path / "out").exists()


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = PV.format(name="piped").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    rc, out, err = cli("migrate-config", "-")
    assert rc == 0
    assert 'name = "piped"\n' in out
    assert err.splitlines()[0] == "<stdin>: ok (xm)"
    assert err.splitlines()[1] == "<stdin>:1:1: kept: name"


def test_crlf_config(tmp_path: Path) -> None:
    src = tmp_path / "crlf"
    src.write_bytes(b'name = "crlf"\r\nmemory = 128\r\nkernel = "/boot/vmlinuz"\r\n')
    rc, out, err = cli("migrate-config", str(src))
    assert rc == 0, err
    assert "\r" not in out
    assert 'name = "crlf"\n' in out and "memory = 128\n" in out


def test_to_json_errors_name_the_migrated_text_and_the_source_line(tmp_path: Path) -> None:
    """The JSON build reads the migrated xl.cfg: its line numbers are not the
    source's; the error used to be placed at the source file's line 7 (vcpus)."""
    src = tmp_path / "pos.xm"
    src.write_text('# one\n# two\n\nname = "p"\nkernel = "/boot/vmlinuz"\nmemory = 128\n'
                   'vcpus = 1\ncpus = "0-zz"\n')
    rc, _, err = cli("migrate-config", "--to", "json", str(src))
    assert rc == 1
    assert err.splitlines()[:6] == [
        f"{src}: failed (xm)",
        f"{src} (as xl.cfg):7:8: error: cpus: invalid pcpu range '0-zz'",
        '    7 | cpus = "0-zz"',
        "      |        ^^^^^^",
        "  expected: all | N | N-M | nodes:N | ^N, comma-separated",
        f"  hint: cpus comes from {src}:8:1"]


def test_to_json_hint_names_a_renamed_key() -> None:
    src = Source("g (as xl.cfg)", 'name = "g"\ncap = 5000\n')
    diag = Diagnostic("error", "cap: too big", src, 17, 21, hint="at most 3200")
    items = [{"key": "name", "status": "kept", "xl": ["name"], "detail": "", "line": 1,
              "col": 1},
             {"key": "cpu_cap", "status": "renamed", "xl": ["cap"], "detail": "", "line": 9,
              "col": 1}]
    traced = migrate_config._traced(diag, "g", items)
    assert traced.hint == "at most 3200; cap comes from g:9:1 (cpu_cap=)"
    assert migrate_config._traced(replace(diag, source=None), "g", items).hint == "at most 3200"


def test_help_documents_skips_exit_status_and_report() -> None:
    rc, out, _ = cli("help", "migrate-config")
    assert rc == 0
    text = " ".join(out.split())
    assert "is skipped and the report says why" in text
    assert "Exit status: 0 when every file was converted or skipped, 1 when any failed." in text
    assert "skipped[{source, reason}]}" in text


@pytest.mark.parametrize(("text", "kind"), [
    ("", "xm"), ("# c\n\n  (vm (name a))", "sxp"), ("#x\n<domain type='xen'>", "xml"),
    ("  \r\n name = 'a'", "xm"), ("\t# c\r\n\t<domain/>", "xml"), ("#!/usr/bin/python\n(", "sxp"),
    ("# (not this)\nname = '('", "xm"),
])
def test_sniff_reads_str_and_bytes_alike(text: str, kind: str) -> None:
    assert migrate_config.sniff(text) == kind
    assert migrate_config.sniff(text.encode()) == kind


def test_the_source_itself_is_never_overwritten(tmp_path: Path) -> None:
    """-o naming the source's own directory: --force used to replace the xm config
    with its xl.cfg, in place, the original lost."""
    src = tmp_path / "web"
    original = PV.format(name="web")
    src.write_text(original)
    rc, text, _ = cli("migrate-config", "--force", "-o", str(tmp_path), str(tmp_path))
    assert rc == 1
    assert f"error: {src} is the source itself: -o must name another directory (the source " \
           "is never overwritten)" in text.splitlines()
    assert src.read_text() == original
    assert os.listdir(tmp_path) == ["web"]


def test_a_large_file_in_a_tree_is_skipped_unread(tmp_path: Path) -> None:
    xen = tmp_path / "xen"
    xen.mkdir()
    with open(xen / "guest-disk", "wb") as fh:  # sparse: a disk image left in /etc/xen
        fh.truncate(migrate_config.MAX_WALKED_SIZE + 1)
    rc, text, _ = cli("migrate-config", "-o", str(tmp_path / "out"), str(xen))
    assert rc == 0
    assert text.splitlines()[0] == (
        f"{xen / 'guest-disk'}: skipped: 1048577 bytes: too large for a config "
        "(name it to convert it)")


def test_an_output_directory_blocked_by_a_file_says_which(tmp_path: Path) -> None:
    (tmp_path / "xen" / "sub").mkdir(parents=True)
    (tmp_path / "xen" / "sub" / "g").write_text(PV.format(name="g"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").write_text("a file where a directory is needed\n")
    rc, text, _ = cli("migrate-config", "-o", str(out), str(tmp_path / "xen"))
    assert rc == 1
    assert f"error: {out / 'sub'}: File exists" in text.splitlines()  # was "[Errno 17] ..."


def test_an_unreadable_directory_fails_instead_of_vanishing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.walk drops a directory it cannot list (EACCES for a non-root admin):
    the guests in it were silently left out of the migration."""
    xen = tmp_path / "xen"
    (xen / "private").mkdir(parents=True)
    (xen / "private" / "g").write_text(PV.format(name="g"))
    (xen / "web").write_text(PV.format(name="web"))
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if str(path).endswith("private"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    rc, text, _ = cli("migrate-config", "-o", str(tmp_path / "out"), str(xen))
    assert rc == 1
    assert text.splitlines()[-3:] == [
        f"{xen / 'private'}: failed",
        f"error: {xen / 'private'}: Permission denied",
        f"2 file(s): 1 converted, 1 failed: {xen / 'private'}"]


MANAGED = "(domain (name {name}) (memory 256) (uuid {uuid}) (image (linux (kernel /k))))\n"


def test_managed_domains_are_named_after_their_guest(tmp_path: Path) -> None:
    """xm new guests lived only in /var/lib/xend/domains/UUID/config.sxp."""
    domains = tmp_path / "domains"
    guests = {"5c1e9a7b-2d3f-4b6a-8c9d-0e1f2a3b4c5d": "db01",
              "0e8c2b4a-6d1f-4e3a-9b5c-7f2a1d0c3e4b": "../evil"}
    for uuid, name in guests.items():
        (domains / uuid).mkdir(parents=True)
        (domains / uuid / "config.sxp").write_text(MANAGED.format(name=name, uuid=uuid))
    out = tmp_path / "out"
    rc, text, _ = cli("migrate-config", "-o", str(out), str(domains))
    assert rc == 0, text
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "0e8c2b4a-6d1f-4e3a-9b5c-7f2a1d0c3e4b/config.cfg", "db01.cfg"]
    assert 'name = "db01"' in (out / "db01.cfg").read_text()
    rc, text, _ = cli("migrate-config", "--to", "libvirt", "-o", str(tmp_path / "xml"),
                      str(domains / "5c1e9a7b-2d3f-4b6a-8c9d-0e1f2a3b4c5d" / "config.sxp"))
    assert rc == 0 and (tmp_path / "xml" / "config.xml").exists()  # a file named: its name
