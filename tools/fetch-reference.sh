#!/bin/bash
# tools/fetch-reference.sh: bring Debian 12's real Xen 4.17 tools into the
# reference cache and build our no-hypervisor shim next to them.
#
#   tools/fetch-reference.sh          # prints the cache directory
#
# Nothing is installed system-wide: the packages are fetched with
# `apt-get download` and unpacked with `dpkg -x` into
#   $XLREF_CACHE (default: <repo>/.cache/xen-4.17)
#     debs/            the .deb files
#     root/            the unpacked tree (usr/lib/xen-4.17/bin/xl, libxlutil, ...)
#     versions.txt     package versions actually unpacked
#     nohv_shim.so     tests/reference/nohv_shim.c, compiled (rebuilt when it changes)
#     empty-xl.conf    the xl.conf used when a caller gives none
#
# Idempotent and fast when everything is present; concurrent callers (pytest
# workers) serialise on a lock.  XLREF_XEN_VERSION=<debian version> pins the
# Xen packages (default: apt's candidate).
#
# Exit status: 0 ok; 2 apt cannot deliver the packages; 3 no C compiler or libc
# headers; the last line on stderr says why.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${XLREF_CACHE:-$REPO/.cache/xen-4.17}
SHIM_SRC=$REPO/tests/reference/nohv_shim.c
XEN_PKGS=(xen-utils-4.17 xenstore-utils libxenmisc4.17 libxenstore4 libxencall1
          libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1
          libxenhypfs1 libxentoolcore1 libxentoollog1 libxen-dev)
OTHER_PKGS=(libyajl2)

log() { echo "fetch-reference: $*" >&2; }
die() { local rc=$1; shift; log "$*"; exit "$rc"; }

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
exec 9>"$CACHE/.lock"
flock 9

have_tree() {
    [ -f "$CACHE/versions.txt" ] && [ -x "$CACHE/root/usr/lib/xen-4.17/bin/xl" ]
}

package_args() {
    local p
    for p in "${XEN_PKGS[@]}"; do
        if [ -n "${XLREF_XEN_VERSION:-}" ]; then echo "$p=$XLREF_XEN_VERSION"; else echo "$p"; fi
    done
    printf '%s\n' "${OTHER_PKGS[@]}"
}

ensure_apt_lists() {
    apt-cache show xen-utils-4.17 >/dev/null 2>&1 && return 0
    command -v apt-get >/dev/null || die 2 "apt-get not found: not a Debian machine"
    if [ "$(id -u)" = 0 ]; then
        log "apt-get update"
        apt-get update -qq >&2 || true
    fi
    apt-cache show xen-utils-4.17 >/dev/null 2>&1 \
        || die 2 "apt does not know xen-utils-4.17 (run apt-get update as root; Debian 12 sources needed)"
}

fetch_tree() {
    ensure_apt_lists
    local work=$CACHE/.partial
    rm -rf "$work"
    mkdir -p "$work/debs" "$work/root"
    log "downloading ${XEN_PKGS[*]} ${OTHER_PKGS[*]}"
    mapfile -t args < <(package_args)
    local sandbox=()   # as root, apt's _apt user could not write into our cache
    [ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
    (cd "$work/debs" && apt-get download -qq "${sandbox[@]}" "${args[@]}" >&2) \
        || die 2 "apt-get download failed (is a Debian mirror reachable?)"
    local deb
    : >"$work/versions.txt"
    for deb in "$work"/debs/*.deb; do
        dpkg -x "$deb" "$work/root"
        dpkg-deb -W --showformat="\${Package} \${Version}\n" "$deb" >>"$work/versions.txt"
    done
    rm -rf "$CACHE/debs" "$CACHE/root"
    mv "$work/debs" "$work/root" "$CACHE/"
    mv "$work/versions.txt" "$CACHE/versions.txt"
    rmdir "$work"
}

build_shim() {
    local sum
    sum=$(sha256sum "$SHIM_SRC" | cut -d' ' -f1)
    if [ -f "$CACHE/nohv_shim.so" ] && [ "$(cat "$CACHE/nohv_shim.sha256" 2>/dev/null)" = "$sum" ]; then
        return 0
    fi
    command -v gcc >/dev/null || die 3 "gcc not found (apt-get install gcc libc6-dev)"
    [ -f /usr/include/stdio.h ] || die 3 "libc headers not found (apt-get install libc6-dev)"
    log "building nohv_shim.so"
    gcc -shared -fPIC -O2 -Wall -Werror -I"$CACHE/root/usr/include" \
        -o "$CACHE/nohv_shim.so.tmp" "$SHIM_SRC" -ldl >&2 \
        || die 3 "compiling $SHIM_SRC failed"
    mv "$CACHE/nohv_shim.so.tmp" "$CACHE/nohv_shim.so"
    echo "$sum" >"$CACHE/nohv_shim.sha256"
}

have_tree || fetch_tree
build_shim
[ -f "$CACHE/empty-xl.conf" ] || : >"$CACHE/empty-xl.conf"
echo "$CACHE"
