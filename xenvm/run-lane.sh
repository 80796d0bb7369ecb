#!/bin/sh
# The xl-py real-Xen lane in one command (as root, on Debian 12):
#   xenvm/run-lane.sh                 build/reuse the image, boot Xen under QEMU, run tests/e2e in dom0
#   xenvm/run-lane.sh -- -k pv        extra pytest arguments after --
#   xenvm/run-lane.sh --bench 5       after the tests, bench/xen_create.py (xl-py vs xl) in dom0
#   xenvm/run-lane.sh --script xenvm/hvm-soak.sh -- 10    a dom0 script instead of pytest
#   xenvm/run-lane.sh --shell         interactive dom0 shell on the serial console
#   xenvm/run-lane.sh --build-only | --rebuild
# Artefacts: ${XL_PY_LANE_DIR:-/tmp/xl-py-lane}/artifacts (junit.xml, pytest.log, serial.log, logs/).
# Exit status: the tests' (0 = pass), 77 = Debian archive unreachable, 2 = the lane broke.
# See docs/xenvm.md.
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" "$here/lane.py" "$@"
