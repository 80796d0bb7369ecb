"""Throughput of ``migrate-config`` on 10,000 generated legacy configs, against
running the reference ``xl -N create`` once per file.  Prints numbers; not a test.

    .venv/bin/python bench/migrate_config.py [--count N] [--jobs J] [--xl-sample S]

The configs are RHEL-5-era xm files (PV with pygrub, HVM with hvmloader +
qemu-dm + tap:aio: + VNC, CD-ROM installs, the ``import os, re`` idiom) and
xend SXP ``(domain ...)`` files, every one different.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xl_py.cli.commands.migrate_config import Options, convert_text  # noqa: E402

XL_DRYRUN = ROOT.parent / "shared" / "tools" / "nohv" / "xl-dryrun.sh"


def pv(i: int) -> str:
    return (f'name = "pv{i}"\nmemory = {256 + i % 8 * 128}\nmaxmem = 2048\nvcpus = {1 + i % 4}\n'
            f'bootloader = "/usr/bin/pygrub"\n'
            f'disk = [ "tap:aio:/var/lib/xen/images/pv{i}.img,xvda,w", '
            f'"phy:/dev/vg0/pv{i}data,xvdb,w" ]\n'
            f'vif = [ "mac=00:16:3e:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x},'
            f'bridge=xenbr0" ]\non_crash = "restart"\n')


def hvm(i: int) -> str:
    return ("import os, re\narch = os.uname()[4]\nif re.search('64', arch):\n"
            "    arch_libdir = 'lib64'\nelse:\n    arch_libdir = 'lib'\n"
            f"name = 'hvm{i}'\nbuilder = 'hvm'\nkernel = '/usr/lib/xen/boot/hvmloader'\n"
            "device_model = '/usr/' + arch_libdir + '/xen/bin/qemu-dm'\n"
            f"memory = {512 + i % 4 * 256}\nvcpus = 2\nvcpu_avail = 3\ncpu_cap = {i % 100}\n"
            f"disk = [ 'tap:aio:/srv/hvm{i}.img,hda,w', 'file:/srv/iso/inst.iso,hdc:cdrom,r' ]\n"
            f"vif = [ 'type=ioemu, bridge=xenbr0, mac=00:16:3e:aa:{i >> 8 & 255:02x}:"
            f"{i & 255:02x}' ]\nvnc = 1\nvncunused = 1\nserial = 'pty'\nusbdevice = 'tablet'\n"
            "acpi = 1\napic = 1\npae = 1\nboot = 'dc'\n")


def sxp(i: int) -> str:
    return (f"(domain (domid {i}) (name sxp{i}) (memory 512) (maxmem 1024) (vcpus 2)\n"
            f" (uuid 5c1e9a7b-2d3f-4b6a-8c9d-{i:012x}) (bootloader /usr/bin/pygrub)\n"
            " (on_poweroff destroy) (on_reboot restart) (on_crash restart)\n"
            " (image (linux (kernel /var/run/xend/boot/k) (args 'ro quiet')))\n"
            f" (device (tap (uname tap:aio:/xen/sxp{i}.img) (dev xvda:disk) (mode w)))\n"
            f" (device (vif (bridge xenbr0) (mac 00:16:3e:bb:{i >> 8 & 255:02x}:{i & 255:02x})"
            " (script vif-bridge)))\n (state -b----) (cpu_time 12.5))\n")


GENERATORS = (pv, hvm, sxp)


def generate(folder: Path, count: int) -> list[Path]:
    paths = []
    for i in range(count):
        path = folder / f"guest{i:05d}"
        path.write_text(GENERATORS[i % 3](i))
        paths.append(path)
    return paths


def convert_chunk(paths: list[str]) -> int:
    opts = Options(new_uuid=lambda: "00000000-0000-4000-8000-000000000000")
    bad = 0
    for p in paths:
        bad += convert_text(Path(p).read_bytes(), p, opts).status != "ok"
    return bad


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--xl-sample", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="xlpy-bench-") as tmp:
        paths = generate(Path(tmp), args.count)
        names = [str(p) for p in paths]
        convert_chunk(names[:30])  # warm: grammar compile, imports
        t0, c0 = time.perf_counter(), time.process_time()
        bad = convert_chunk(names)
        one, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"one process : {args.count} configs in {one:.2f} s = "
              f"{args.count / one:,.0f} configs/s ({bad} failed); "
              f"CPU time {cpu:.2f} s = {args.count / cpu:,.0f} configs/CPU-s "
              f"(load average {os.getloadavg()[0]:.1f})")
        chunks = [names[i::args.jobs] for i in range(args.jobs)]
        t0 = time.perf_counter()
        with ProcessPoolExecutor(args.jobs) as pool:
            bad = sum(pool.map(convert_chunk, chunks))
        many = time.perf_counter() - t0
        print(f"pool of {args.jobs}   : {args.count} configs in {many:.2f} s = "
              f"{args.count / many:,.0f} configs/s ({bad} failed, incl. pool start-up)")
        reference(paths[: args.xl_sample], args.count)


def reference(sample: list[Path], count: int) -> None:
    if not XL_DRYRUN.exists():
        print("reference xl: not available")
        return
    opts = Options(new_uuid=lambda: "00000000-0000-4000-8000-000000000000")
    outs = []
    for p in sample:
        out = p.with_suffix(".xl.cfg")
        out.write_text(convert_text(p.read_bytes(), str(p), opts).text)
        outs.append(out)
    t0 = time.perf_counter()
    failed = sum(subprocess.run([str(XL_DRYRUN), str(o)], capture_output=True).returncode != 0
                 for o in outs)
    per = (time.perf_counter() - t0) / len(outs)
    print(f"reference xl: {per * 1000:.1f} ms per file (one `xl -N create` each, "
          f"{len(outs)} sampled, {failed} rejected) = {1 / per:,.0f} files/s; "
          f"{count} files would take {per * count:.1f} s")


if __name__ == "__main__":
    main()
