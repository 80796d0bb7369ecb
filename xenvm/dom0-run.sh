#!/bin/sh
# Runs inside dom0 (started by /init from the 9p share /mnt/lane): unpacks the xl-py work
# tree the host shipped, runs the end-to-end tests with pytest, and leaves the JUnit XML,
# the exit status and the Xen/libvirt/guest logs in /mnt/lane/results for the host.
L=/mnt/lane
R=$L/results
mkdir -p "$R/logs" /opt/xl-py /usr/local/bin /var/lib/xl-py-lane
tar xf "$L/src.tar" -C /opt/xl-py || { echo "LANE-RUN: cannot unpack src.tar"; echo 2 >"$R/rc"; exit 2; }
cat >/usr/local/bin/xl-py <<'EOF'
#!/bin/sh
PYTHONPATH=/opt/xl-py${PYTHONPATH:+:$PYTHONPATH} exec python3 -m xl_py.cli.main "$@"
EOF
chmod +x /usr/local/bin/xl-py
export PYTHONPATH=/opt/xl-py PYTHONDONTWRITEBYTECODE=1 XL_PY_LANE_DOM0=1
export XL_PY_LANE_ARTIFACTS=$R/e2e XL_PY_LANE_SCRATCH=/var/lib/xl-py-lane
ARGS=$(cat "$L/pytest-args" 2>/dev/null)
echo "LANE-RUN: python3 -m pytest tests/e2e $ARGS"
cd /opt/xl-py
eval "set -- $ARGS"  # the host wrote them shell-quoted
WHAT=tests/e2e  # node ids given (a rerun of failed tests) replace the whole folder
case " $ARGS " in *" tests/e2e/"*|*" 'tests/e2e/"*) WHAT= ;; esac
(python3 -m pytest $WHAT -p no:cacheprovider --confcutdir=tests/e2e -o junit_family=xunit2 \
    --junitxml="$R/junit.xml" -v -ra "$@"; echo $? >/tmp/.pytest-rc) 2>&1 | tee "$R/pytest.log"
rc=$(cat /tmp/.pytest-rc 2>/dev/null)
if [ -f "$L/bench-runs" ]; then
    echo "LANE-RUN: bench/xen_create.py --runs $(cat "$L/bench-runs")"
    python3 bench/xen_create.py --runs "$(cat "$L/bench-runs")" --json "$R/bench.json" \
        >"$R/bench.txt" 2>&1 || echo "LANE-RUN: bench failed"
    cat "$R/bench.txt"
fi
# collect logs whatever happened
cp -r /var/log/xen "$R/logs/xen" 2>/dev/null
cp -r /var/log/libvirt "$R/logs/libvirt" 2>/dev/null
cp -r /var/lib/xl-py-lane/configs "$R/logs/configs" 2>/dev/null
xl dmesg >"$R/logs/xl-dmesg.txt" 2>&1
xl list >"$R/logs/xl-list-at-end.txt" 2>&1
xenstore-ls -f >"$R/logs/xenstore-at-end.txt" 2>&1
echo "${rc:-2}" >"$R/rc"
sync
exit "${rc:-2}"
