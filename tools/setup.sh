#!/bin/bash
# tools/setup.sh: make .venv with xl_py and its test tools, and fetch the
# reference Xen 4.17 tools the differential tests compare against (idempotent).
#
# Needs python3 (>= 3.11) with venv. On Debian 12 as root it apt-gets what is
# missing (python3-venv, gcc, libc6-dev). XLREF_SKIP_FETCH=1 skips the
# reference fetch (those tests then skip, saying why).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

missing_debs() {
    "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1 || echo python3-venv
    command -v gcc >/dev/null || echo gcc
    [ -f /usr/include/stdio.h ] || echo libc6-dev
}
debs=$(missing_debs | xargs)
if [ -n "$debs" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $debs >&2
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >&2 || true
# editable_mode=compat: a plain path entry in a .pth file.  setuptools' default
# editable finder imports pathlib, re and importlib.util at every interpreter start
# (~10 ms on each xl-py command; see bench/README.md).  setuptools calls compat
# transitional: where it is gone, fall back to the default mode.
EDITABLE=(--config-settings editable_mode=compat)
.venv/bin/python -m pip install -q "${EDITABLE[@]}" -e '.[test]' >&2 || {
    EDITABLE=()
    .venv/bin/python -m pip install -q -e '.[test]' >&2
}
# libvirt-python builds against libvirt-dev (apt, see .ci/run): without it the
# libvirt backend's tests skip instead of the whole setup failing
.venv/bin/python -m pip install -q "${EDITABLE[@]}" -e '.[runtime]' >&2 \
    || echo "setup: libvirt-python not built (needs libvirt-dev, pkg-config); libvirt tests will skip" >&2

if [ -z "${XLREF_SKIP_FETCH:-}" ]; then
    tools/fetch-reference.sh >/dev/null \
        || echo "setup: reference Xen tools unavailable; differential tests will skip" >&2
fi
