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
# Byte-compile once: every xl-py call would otherwise compile its modules from source
# again (PYTHONDONTWRITEBYTECODE keeps pytest and friends from writing elsewhere).
t0=$(cut -d' ' -f1 /proc/uptime)
python3 -m compileall -q /opt/xl-py/xl_py >/dev/null 2>&1 || echo "LANE-RUN: compileall failed"
echo "LANE-RUN: xl_py byte-compiled (uptime $t0 s -> $(cut -d' ' -f1 /proc/uptime) s)"
ARGS=$(cat "$L/pytest-args" 2>/dev/null)
cd /opt/xl-py
eval "set -- $ARGS"  # the host wrote them shell-quoted
if [ -f "$L/dom0-script.sh" ]; then  # xenvm/lane.py --script: instead of pytest, args after --
    cd /opt/xl-py
    echo "LANE-RUN: sh dom0-script.sh"
    sh "$L/dom0-script.sh" "$@" 2>&1 | tee "$R/script.log"
    xl dmesg >"$R/xl-dmesg.txt" 2>&1
    cp -r /var/log/xen "$R/logs/xen" 2>/dev/null
    echo 0 >"$R/rc"
    sync
    exit 0
fi
echo "LANE-RUN: python3 -m pytest tests/e2e $ARGS"
WHAT=tests/e2e  # node ids given (a rerun of failed tests) replace the whole folder
case " $ARGS " in *" tests/e2e/"*|*" 'tests/e2e/"*) WHAT= ;; esac
(python3 -m pytest $WHAT -p no:cacheprovider --confcutdir=tests/e2e -o junit_family=xunit2 \
    --junitxml="$R/junit.xml" -v -ra "$@"; echo $? >/tmp/.pytest-rc) 2>&1 | tee "$R/pytest.log"
rc=$(cat /tmp/.pytest-rc 2>/dev/null)
# collect logs whatever happened
cp -r /var/log/xen "$R/logs/xen" 2>/dev/null
cp -r /var/log/libvirt "$R/logs/libvirt" 2>/dev/null
cp -r /var/lib/xl-py-lane/configs "$R/logs/configs" 2>/dev/null
xl dmesg >"$R/logs/xl-dmesg.txt" 2>&1
xl list >"$R/logs/xl-list-at-end.txt" 2>&1
xenstore-ls -f >"$R/logs/xenstore-at-end.txt" 2>&1
echo "${rc:-2}" >"$R/rc"  # the verdict is the tests'; the bench below only prints numbers
sync
if [ -f "$L/bench-runs" ]; then
    runs=$(cat "$L/bench-runs")
    echo "LANE-RUN: bench/xen_create.py --runs $runs"
    timeout -k 10 $((runs * 150 + 120)) python3 bench/xen_create.py --runs "$runs" \
        --budget $((runs * 120)) --json "$R/bench.json" >"$R/bench.txt" 2>&1 \
        || echo "LANE-RUN: bench failed (rc=$?)" | tee -a "$R/bench.txt"
    cat "$R/bench.txt"
    xl list >"$R/logs/xl-list-after-bench.txt" 2>&1
    sync
fi
exit "${rc:-2}"
