"""Build the lane's boot artefacts from Debian 12 packages (host side, stdlib only).

Output in ``<lane dir>/out``:

* ``xen.elf``          the Xen 4.17 hypervisor, gunzipped (QEMU loads it as a multiboot kernel)
* ``vmlinuz``          the Debian 12 kernel: dom0 kernel and PV/PVH/HVM guest kernel
* ``dom0.cpio``        the dom0 initramfs: busybox, the Xen tools, python3.11 with what
                       xl-py needs (lark, click, pyxs, libvirt-python, pytest), libvirtd with
                       its libxl driver, the HVM device model, kernel modules, a guest
                       kernel + initramfs under ``/guest`` and our ``/init``
* ``guest-initrd.gz``  the tiny busybox guest initramfs

Nothing is installed on the host except the tools that build and boot the image
(``HOST_TOOLS``).  Every package that goes into the image is fetched with
``apt-get download`` and unpacked with ``dpkg -x``; the set is the dependency
closure of ``ROOT_PACKAGES`` computed by apt against an empty dpkg status, so the
image does not depend on what happens to be installed on the host.

xl-py itself is not in the image: the lane ships the work tree through the 9p
share at every run, so a code change never needs a rebuild.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

XENVER = "4.17"
HERE = Path(__file__).resolve().parent
MULTIARCH = "x86_64-linux-gnu"
LOADER = "/lib64/ld-linux-x86-64.so.2"

#: host packages the lane needs to build and boot (installed with apt-get when missing)
HOST_TOOLS = ("qemu-system-x86", "cpio", "kmod", "file")

#: roots of the dom0 package closure (the kernel package name is added at run time)
ROOT_PACKAGES = (
    f"xen-hypervisor-{XENVER}-amd64", f"xen-utils-{XENVER}", "xen-utils-common",
    "xenstore-utils", "busybox-static", "bash", "util-linux", "mount", "coreutils",
    # HVM device model + firmware
    "qemu-system-xen", "qemu-system-data", "seabios", "ipxe-qemu",
    # xl-py and its tests
    "python3.11-minimal", "libpython3.11-stdlib", "python3-lark", "python3-click",
    "python3-pyxs", "python3-libvirt", "python3-pytest",
    # libvirtd with the libxl driver; virsh (xl-py's console through libvirt runs it)
    "libvirt-daemon", "libvirt-daemon-driver-xen", "libvirt-clients",
)

#: executables copied into dom0 with the shared libraries they need (paths in the closure;
#: the Xen hotplug scripts want bash and the util-linux/coreutils flock, losetup, stat, readlink)
DOM0_PROGRAMS = (
    "/bin/bash", "/usr/bin/flock", "/sbin/losetup", "/usr/bin/stat", "/bin/readlink",
    "/usr/bin/python3.11", "/usr/sbin/libvirtd", "/usr/bin/virsh",
    "/usr/libexec/xen-qemu-system-i386",
    f"/usr/lib/{MULTIARCH}/libxenlight.so.{XENVER}",
    f"/usr/lib/{MULTIARCH}/libxenstat.so.{XENVER}",
    f"/usr/lib/{MULTIARCH}/libxenvchan.so.{XENVER}",
    f"/usr/lib/{MULTIARCH}/libxlutil.so.{XENVER}",
)

#: directories whose every ELF file goes in with its libraries
DOM0_ELF_TREES = (
    f"/usr/lib/xen-{XENVER}/bin",
    "/usr/lib/python3.11/lib-dynload",
    "/usr/lib/python3/dist-packages",
    f"/usr/lib/{MULTIARCH}/libvirt/connection-driver/libvirt_driver_libxl.so",
    f"/usr/lib/xen-{XENVER}/lib/python",
)

#: data trees copied as they are (source in the closure, same path in dom0)
DOM0_TREES = (
    "/etc/xen", f"/usr/lib/xen-{XENVER}/boot", f"/usr/lib/xen-{XENVER}/lib/python",
    f"/usr/lib/xen-{XENVER}/bin",  # its scripts too: convert-legacy-stream, pygrub ...
    "/usr/lib/python3/dist-packages", "/usr/share/libvirt",
    "/usr/share/seabios", "/usr/lib/ipxe", "/etc/python3.11",
)

#: stdlib folders left out of dom0 (size; nothing in the lane imports them)
STDLIB_SKIP = ("test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data",
               "__pycache__", "config-3.11-x86_64-linux-gnu")

#: QEMU firmware files the Xen device model loads
QEMU_ROMS = ("kvmvapic.bin", "linuxboot.bin", "linuxboot_dma.bin", "vgabios-stdvga.bin",
             "vgabios-cirrus.bin", "efi-e1000.rom", "efi-rtl8139.rom", "pxe-e1000.rom",
             "pxe-rtl8139.rom", "keymaps")

#: dom0 kernel modules (paths under lib/modules/<version>/kernel)
DOM0_MODULES = (
    "drivers/xen", "drivers/block/xen-blkback", "drivers/net/xen-netback",
    "drivers/block/loop.ko", "drivers/net/tun.ko", "drivers/net/dummy.ko",
    "net/bridge", "net/802", "net/llc", "net/ipv6/ipv6.ko",
    "fs/9p", "net/9p", "fs/netfs", "fs/fscache", "drivers/virtio",
    "drivers/net/virtio_net.ko", "drivers/net/net_failover.ko", "net/core/failover.ko",
    "drivers/block/virtio_blk.ko",
)

#: guest kernel modules (copied flat to /lib/modules of the guest initramfs)
GUEST_MODULES = ("drivers/net/xen-netfront.ko", "drivers/block/xen-blkfront.ko")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the build puts things under the lane directory."""

    root: Path

    @property
    def debs(self) -> Path:
        return self.root / "debs"

    @property
    def stage(self) -> Path:
        return self.root / "stage"

    @property
    def dom0(self) -> Path:
        return self.root / "dom0root"

    @property
    def guest(self) -> Path:
        return self.root / "guestroot"

    @property
    def out(self) -> Path:
        return self.root / "out"


def log(message: str) -> None:
    print(f"[xenvm image] {message}", file=sys.stderr, flush=True)


def run(argv: Sequence[str], *, cwd: Path | None = None, timeout: float = 900,
        env: dict[str, str] | None = None) -> str:
    """Run a host command; its stdout, or CalledProcessError/TimeoutExpired."""
    done = subprocess.run(list(argv), cwd=cwd, env=env, check=True, timeout=timeout,
                          stdout=subprocess.PIPE, text=True)
    return done.stdout


# ---------------------------------------------------------------- packages


def ensure_host_tools() -> None:
    """apt-get install what the lane needs on the host (idempotent)."""
    missing = [p for p in HOST_TOOLS
               if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if not missing:
        return
    log(f"installing host tools: {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


def kernel_package() -> str:
    """The versioned kernel package that Debian's linux-image-amd64 points at."""
    for line in run(["apt-cache", "depends", "linux-image-amd64"]).splitlines():
        word = line.strip().removeprefix("Depends:").strip()
        if line.strip().startswith("Depends:") and word.startswith("linux-image-") \
                and word[len("linux-image-"):][:1].isdigit():
            return word
    raise RuntimeError("apt-cache knows no linux-image-<version> for linux-image-amd64")


def package_of_uri_line(line: str) -> tuple[str, str]:
    """(package name, file name) from one ``apt-get --print-uris`` line.

    The line is ``'URL' name_version_arch.deb size hash``; the version in the
    file name has its epoch colon escaped as ``%3a``.
    """
    fields = line.split()
    if len(fields) < 2 or not fields[1].endswith(".deb"):
        raise ValueError(f"not an apt-get --print-uris line: {line!r}")
    filename = urllib.parse.unquote(fields[1])
    return filename.split("_", 1)[0], filename


def closure(roots: Iterable[str], scratch: Path) -> list[str]:
    """Every package apt would install for ``roots`` on an empty system (no recommends)."""
    scratch.mkdir(parents=True, exist_ok=True)
    status = scratch / "empty-status"
    status.write_text("")
    (scratch / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    argv = ["apt-get", "install", "--print-uris", "-qq", "--no-install-recommends",
            "-o", f"Dir::State::Status={status}", "-o", f"Dir::Cache::Archives={scratch}/archives",
            *roots]
    try:
        text = run(argv)
    except subprocess.CalledProcessError:
        run(["apt-get", "update", "-qq"])
        text = run(argv)
    names = [package_of_uri_line(line)[0] for line in text.splitlines() if line.startswith("'")]
    if not names:
        raise RuntimeError("apt-get computed an empty package closure")
    return sorted(set(names))


def deb_of(debs: Path, name: str) -> Path | None:
    found = sorted(debs.glob(f"{name}_*.deb"))
    return found[-1] if found else None


def download(names: Sequence[str], debs: Path) -> None:
    debs.mkdir(parents=True, exist_ok=True)
    missing = [n for n in names if deb_of(debs, n) is None]
    if missing:
        log(f"apt-get download: {len(missing)} packages")
        run(["apt-get", "download", *missing], cwd=debs, timeout=1800)
    still = [n for n in names if deb_of(debs, n) is None]
    if still:
        raise RuntimeError(f"apt-get download left out: {' '.join(still)}")


def unpack(names: Sequence[str], layout: Layout) -> None:
    """dpkg -x every package into the stage (skipped when the set is unchanged)."""
    stamp = layout.stage / ".packages"
    files = [str(deb_of(layout.debs, n)) for n in names]
    want = "\n".join(files)
    if stamp.is_file() and stamp.read_text() == want:
        return
    shutil.rmtree(layout.stage, ignore_errors=True)
    layout.stage.mkdir(parents=True)
    log(f"unpacking {len(files)} packages")
    for deb in files:
        run(["dpkg", "-x", deb, str(layout.stage)])
    stamp.write_text(want)


# ---------------------------------------------------------------- file copying


class Tree:
    """A root file system under construction, filled from the stage."""

    def __init__(self, root: Path, stage: Path) -> None:
        self.root = root
        self.stage = stage
        self.host_libs: set[str] = set()
        self._lib_dirs = [str(stage / d) for d in (
            f"lib/{MULTIARCH}", f"usr/lib/{MULTIARCH}", f"usr/lib/xen-{XENVER}/lib/{MULTIARCH}",
            f"usr/lib/{MULTIARCH}/libvirt")]

    def put(self, src: Path, dest: str) -> None:
        """Copy one file (dereferenced) to ``dest`` (absolute path inside the tree)."""
        target = self.root / dest.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()  # never write through a busybox applet link
        shutil.copy2(src, target, follow_symlinks=True)

    def put_tree(self, rel: str, skip: Sequence[str] = ()) -> None:
        src = self.stage / rel.lstrip("/")
        if not src.exists():
            raise FileNotFoundError(f"{rel} is not in the package closure")
        if src.is_file():
            self.put(src, rel)
            return
        dest = self.root / rel.lstrip("/")
        shutil.copytree(src, dest, symlinks=True, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(*skip))

    def libraries(self, binary: Path) -> list[Path]:
        """The shared libraries ``binary`` needs, resolved in the stage first (ldd)."""
        env = {**os.environ, "LD_LIBRARY_PATH": ":".join(self._lib_dirs)}
        done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, env=env,
                              timeout=60)
        if done.returncode != 0:  # not dynamic
            return []
        libs: list[Path] = []
        for line in done.stdout.splitlines():
            parts = line.split()
            if "not found" in line:
                raise RuntimeError(f"{binary}: {line.strip()}")
            if len(parts) >= 3 and parts[1] == "=>" and parts[2].startswith("/"):
                libs.append(Path(parts[2]))
            elif parts and parts[0].startswith("/"):
                libs.append(Path(parts[0]))
        return libs

    def lib_dest(self, lib: Path) -> str:
        """Where a resolved library lives in dom0 (the Xen private lib dir is flattened)."""
        text = str(lib)
        if text.startswith(str(self.stage)):
            rel = text[len(str(self.stage)):]
            private = f"/usr/lib/xen-{XENVER}/lib/{MULTIARCH}/"
            if rel.startswith(private):
                rel = f"/usr/lib/{MULTIARCH}/" + rel[len(private):]
            return rel
        self.host_libs.add(text)
        return text

    def put_elf(self, rel: str, dest: str | None = None) -> None:
        """Copy an executable or library from the stage with everything it links."""
        src = self.stage / rel.lstrip("/")
        self.put(src, dest or rel)
        for lib in self.libraries(src):
            if str(lib) == LOADER:  # ldd names the host's loader: take the staged one
                lib = self.stage / f"lib/{MULTIARCH}/{Path(LOADER).name}"
                dest = LOADER
            else:
                dest = self.lib_dest(lib)
            if not (self.root / dest.lstrip("/")).exists():
                self.put(lib, dest)

    def put_elf_tree(self, rel: str) -> None:
        src = self.stage / rel.lstrip("/")
        paths = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
        for path in paths:
            if is_elf(path):
                self.put_elf("/" + str(path.relative_to(self.stage)))

    def busybox(self) -> None:
        """busybox-static and a link per applet (never over a real program)."""
        bb = self.stage / "bin/busybox"
        self.put(bb, "/bin/busybox")
        for top in ("proc", "sys", "dev", "run", "tmp", "root", "mnt", "etc", "var"):
            (self.root / top).mkdir(parents=True, exist_ok=True)
        for applet in run([str(bb), "--list-full"]).split():
            link = self.root / applet
            if link.exists() or link.is_symlink():
                continue
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to("/bin/busybox")

    def write(self, dest: str, text: str, mode: int = 0o644) -> None:
        target = self.root / dest.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def cpio(tree: Path, output: Path, *, gzip_it: bool) -> None:
    """Pack ``tree`` as a newc cpio archive (gzip -1 when asked)."""
    names = subprocess.run(["find", "."], cwd=tree, check=True, capture_output=True).stdout
    packed = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=tree, check=True,
                            input=names, capture_output=True, timeout=600).stdout
    output.write_bytes(gzip.compress(packed, 6) if gzip_it else packed)


# ---------------------------------------------------------------- the two roots


def kernel_version(stage: Path) -> str:
    versions = sorted(p.name for p in (stage / "lib/modules").iterdir())
    if len(versions) != 1:
        raise RuntimeError(f"expected one kernel in the stage, found {versions}")
    return versions[0]


def build_guest(layout: Layout, kver: str) -> Path:
    shutil.rmtree(layout.guest, ignore_errors=True)
    tree = Tree(layout.guest, layout.stage)
    tree.busybox()
    for module in GUEST_MODULES:
        tree.put(layout.stage / f"lib/modules/{kver}/kernel/{module}",
                 f"/lib/modules/{Path(module).name}")
    tree.put(HERE / "guest-init.sh", "/init")
    (layout.guest / "init").chmod(0o755)
    output = layout.out / "guest-initrd.gz"
    cpio(layout.guest, output, gzip_it=True)
    return output


def build_dom0(layout: Layout, kver: str) -> None:
    shutil.rmtree(layout.dom0, ignore_errors=True)
    tree = Tree(layout.dom0, layout.stage)
    tree.busybox()
    for rel in DOM0_PROGRAMS:
        tree.put_elf(rel)
    tree.put_elf("/bin/readlink", "/usr/bin/readlink")  # ahead of busybox's in PATH
    for rel in DOM0_ELF_TREES:
        tree.put_elf_tree(rel)
    for rel in DOM0_TREES:
        tree.put_tree(rel)
    tree.put_tree("/usr/lib/python3.11", skip=STDLIB_SKIP)
    for rom in QEMU_ROMS:
        if (layout.stage / "usr/share/qemu" / rom).exists():
            tree.put_tree(f"/usr/share/qemu/{rom}")
    glibc_helpers(tree)
    xen_links(tree)
    kernel_modules(tree, kver)
    tree.put(layout.out / "vmlinuz", "/guest/vmlinuz")
    tree.put(layout.out / "guest-initrd.gz", "/guest/initrd.gz")
    dom0_etc(tree)
    libvirt_cpu_map(tree)
    tree.put(HERE / "dom0-init.sh", "/init")
    (layout.dom0 / "init").chmod(0o755)
    byte_compile(tree)
    if tree.host_libs:
        log("libraries taken from the host: " + " ".join(sorted(tree.host_libs)))


#: Python trees of dom0 compiled to bytecode at build time
PYTHON_TREES = ("/usr/lib/python3.11", "/usr/lib/python3/dist-packages",
                f"/usr/lib/xen-{XENVER}/lib/python")


def byte_compile(tree: Tree) -> None:
    """Compile dom0's stdlib and Python packages with the host's python3.11.

    Debian's packages ship no bytecode (their postinst compiles it) and the lane runs
    with PYTHONDONTWRITEBYTECODE, so without this every python3 start in dom0 compiled
    every module it imported from source again, under TCG: most of the ~2-3 s each
    xl-py command took.  ``unchecked-hash`` pycs are used without looking at the
    source's mtime (the cpio copy keeps them valid anyway).  Skipped, with a note, when
    the host has no python3.11 (dom0 then compiles as before)."""
    python = sys.executable if sys.version_info[:2] == (3, 11) else shutil.which("python3.11")
    if python is None:
        log("no python3.11 on the host: dom0's Python stays source-only (slower)")
        return
    dirs = [str(tree.root / rel.lstrip("/")) for rel in PYTHON_TREES
            if (tree.root / rel.lstrip("/")).is_dir()]
    done = subprocess.run(
        [python, "-m", "compileall", "-q", "-j0", "--invalidation-mode", "unchecked-hash",
         "-s", str(tree.root), "-p", "/", *dirs],
        capture_output=True, text=True, timeout=900)
    if done.returncode != 0:  # a file that does not compile stays source-only
        failed = [line for line in done.stdout.splitlines() if line.startswith("***")]
        log(f"byte-compiling dom0's Python: {len(failed)} file(s) left as source")


def glibc_helpers(tree: Tree) -> None:
    """libgcc_s is dlopen()ed by glibc for pthread_cancel (xl aborts at exit without it)."""
    tree.put_elf(f"/lib/{MULTIARCH}/libgcc_s.so.1")


def xen_links(tree: Tree) -> None:
    """The command names the Debian packages expose through /usr/sbin and /usr/bin."""
    bindir = f"/usr/lib/xen-{XENVER}/bin"
    for name in ("xl", "xenstored", "xenconsoled", "xentop", "xen-init-dom0"):
        link = tree.root / "usr/sbin" / name
        link.unlink(missing_ok=True)
        link.symlink_to(f"{bindir}/{name}")
    tree.put_elf("/usr/bin/xenstore")
    for name in ("read", "write", "ls", "list", "rm", "exists", "watch", "chmod"):
        link = tree.root / f"usr/bin/xenstore-{name}"
        link.unlink(missing_ok=True)
        link.symlink_to("xenstore")
    python = tree.root / "usr/bin/python3"
    python.unlink(missing_ok=True)
    python.symlink_to("python3.11")
    # Xen's python package (convert-legacy-stream, pygrub) on dom0's python path
    tree.write(f"/usr/lib/python3/dist-packages/xen-{XENVER}.pth",
               f"/usr/lib/xen-{XENVER}/lib/python\n")
    lib = tree.root / f"usr/lib/{MULTIARCH}/libxenlight.so"
    lib.unlink(missing_ok=True)
    lib.symlink_to(f"libxenlight.so.{XENVER}")


def kernel_modules(tree: Tree, kver: str) -> None:
    src = tree.stage / f"lib/modules/{kver}"
    for module in DOM0_MODULES:
        if (src / "kernel" / module).exists():
            tree.put_tree(f"/lib/modules/{kver}/kernel/{module}")
    for name in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        if (src / name).exists():
            tree.put(src / name, f"/lib/modules/{kver}/{name}")
    run(["depmod", "-b", str(tree.root), kver])


DOM0_LIBVIRTD_CONF = """\
# xl-py lane: root-only daemon on the local socket, no polkit, no TCP
listen_tls = 0
listen_tcp = 0
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_filters = "1:cpu 1:libxl 3:*"
log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
"""


#: libvirt's libxl driver names the host CPU from Xen's physinfo hw_cap with a model of its
#: cpu_map, and refuses to start when no model fits (x86Decode: "Cannot find suitable CPU
#: model for given data").  A model fits a host CPU only when the host has every feature
#: of it.  Every model of libvirt 9.0's map needs 'vme' or 'sep', and the lane's CPU has
#: neither: QEMU's TCG does not emulate VME, and Xen clears SEP on AMD CPUs (amd.c
#: init_amd: "AMD CPUs do not support SYSENTER outside of legacy mode"; TCG's CPU is an
#: AMD one, and must stay one: Xen runs HVM and PVH guests on it through SVM).  Real AMD
#: hosts decode as "pentium" + features, through 'vme'.  So the image's map gets one more
#: model: the x86-64 baseline without those two.  It only names the host CPU in libvirt's
#: capabilities; guests' CPUs are not affected.
LIBVIRT_LANE_CPU_MODEL = "xl-py-lane-tcg"
LIBVIRT_LANE_CPU_FEATURES = (
    "apic", "clflush", "cmov", "cx8", "de", "fpu", "fxsr", "lm", "mca", "mce", "mmx", "msr",
    "mtrr", "nx", "pae", "pat", "pge", "pni", "pse", "pse36", "sse", "sse2", "syscall", "tsc")
LIBVIRT_CPU_MAP = "/usr/share/libvirt/cpu_map"


def libvirt_cpu_map(tree: Tree) -> None:
    """Add LIBVIRT_LANE_CPU_MODEL to the dom0's libvirt cpu_map (file + index.xml include)."""
    name = f"x86_{LIBVIRT_LANE_CPU_MODEL}.xml"
    features = "".join(f"    <feature name='{f}'/>\n" for f in LIBVIRT_LANE_CPU_FEATURES)
    tree.write(f"{LIBVIRT_CPU_MAP}/{name}",
               f"<cpus>\n  <model name='{LIBVIRT_LANE_CPU_MODEL}'>\n"
               f"    <decode host='on' guest='off'/>\n{features}  </model>\n</cpus>\n")
    index = tree.root / LIBVIRT_CPU_MAP.lstrip("/") / "index.xml"
    text = index.read_text()
    anchor = "<include filename='x86_qemu64.xml'/>"
    if anchor not in text:
        raise RuntimeError(f"{index}: no {anchor} to add the lane's CPU model after")
    index.write_text(text.replace(anchor, f"{anchor}\n    <include filename='{name}'/>", 1))


def dom0_etc(tree: Tree) -> None:
    tree.write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
    tree.write("/etc/group", "root:x:0:\nkvm:x:101:\n")
    tree.write("/etc/hostname", "dom0\n")
    tree.write("/etc/hosts", "127.0.0.1 localhost dom0\n")
    tree.write("/etc/libvirt/libvirtd.conf", DOM0_LIBVIRTD_CONF)


# ---------------------------------------------------------------- entry point


def inputs_digest(packages: Sequence[str]) -> str:
    """What the image depends on: the package set and our own dom0/guest files."""
    digest = hashlib.sha256("\n".join(packages).encode())
    for name in ("image.py", "dom0-init.sh", "guest-init.sh"):
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()


def build(lane_dir: Path, *, force: bool = False) -> Path:
    """Build (or reuse) the artefacts; returns the ``out`` directory."""
    layout = Layout(lane_dir)
    layout.out.mkdir(parents=True, exist_ok=True)
    ensure_host_tools()
    kpkg = kernel_package()
    names = closure((*ROOT_PACKAGES, kpkg), lane_dir / "apt")
    stamp = layout.out / ".inputs"
    digest = inputs_digest(names)
    wanted = ("xen.elf", "vmlinuz", "dom0.cpio", "guest-initrd.gz")
    if not force and stamp.is_file() and stamp.read_text() == digest \
            and all((layout.out / f).is_file() for f in wanted):
        log("image up to date")
        return layout.out
    download(names, layout.debs)
    unpack(names, layout)
    kver = kernel_version(layout.stage)
    (layout.out / "xen.elf").write_bytes(
        gzip.decompress((layout.stage / f"boot/xen-{XENVER}-amd64.gz").read_bytes()))
    shutil.copy2(layout.stage / f"boot/vmlinuz-{kver}", layout.out / "vmlinuz")
    build_guest(layout, kver)
    build_dom0(layout, kver)
    cpio(layout.dom0, layout.out / "dom0.cpio", gzip_it=False)
    stamp.write_text(digest)
    size = (layout.out / "dom0.cpio").stat().st_size >> 20
    log(f"built {layout.out}: dom0.cpio {size} MiB, kernel {kver}, {len(names)} packages")
    return layout.out


if __name__ == "__main__":
    target = Path(os.environ.get("XL_PY_LANE_DIR", "/tmp/xl-py-lane"))
    build(target, force="--force" in sys.argv)
