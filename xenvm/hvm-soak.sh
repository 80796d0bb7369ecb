#!/bin/sh
# HVM boot soak for the real-Xen lane (runs in dom0):
#   xenvm/run-lane.sh --script xenvm/hvm-soak.sh [-- BOOTS [VARIANT...]]
#
# Boots the lane's HVM guest (the config of tests/e2e: qemu-xen device model, direct
# kernel boot, serial to a file, a CD on hdc) again and again with the reference xl,
# round-robin over VARIANTS, and records for every boot whether the guest printed
# LANE-GUEST-UP and how long it took.  A boot that does not come up within WAIT seconds
# is a stall: its serial log, qemu-dm log and `xl dmesg` are kept.  Progress goes to
# /mnt/lane/results/soak.log line by line (readable live on the host through the 9p
# share), so when the whole emulated machine freezes the host still sees which boot
# and which variant it was.
#
# BOOTS (default 5) boots per variant; a VARIANT is "label|config keys separated by
# ';'|extra guest kernel arguments" (default: "default||", the tests' config as is),
# e.g. 'nohpet|hpet=0|' or 'noapic||noapic'.
R=/mnt/lane/results
OUT=$R/soak
LOG=$R/soak.log
BOOTS=${1:-5}
[ $# -gt 0 ] && shift
WAIT=${SOAK_WAIT:-300}  # a healthy boot: 40-55 s on an idle host, 150+ s under load
VARIANTS='default||'
[ $# -gt 0 ] && VARIANTS=$(printf '%s\n' "$@")
SCRATCH=/var/lib/xl-py-lane/soak
CONSOLE=/var/log/xen/console
mkdir -p "$OUT" "$SCRATCH"
head -c 1048576 /dev/zero >"$SCRATCH/cd.iso"

up() { cut -d' ' -f1 /proc/uptime; }
note() { echo "$(up) $*" | tee -a "$LOG"; sync; }

config() {  # NAME KEYS CMDLINE
    cat <<EOF
name = "$1"
type = "hvm"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
memory = 128
maxmem = 128
vcpus = 1
maxvcpus = 2
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "preserve"
cmdline = "console=hvc0 console=ttyS0 rdinit=/init $3"
vga = "none"
vnc = 0
sdl = 0
serial = "file:$CONSOLE/serial-$1.log"
disk = [ "format=raw,vdev=hdc,access=ro,devtype=cdrom,target=$SCRATCH/cd.iso" ]
EOF
    echo "$2" | tr ';' '\n'
}

boot() {  # LABEL KEYS CMDLINE N
    name="soak-$1-$4"
    config "$name" "$2" "$3" >"$SCRATCH/$name.cfg"
    rm -f "$CONSOLE/serial-$name.log"
    note "BOOT $name: create"
    t0=$(up)
    if ! xl create "$SCRATCH/$name.cfg" >"$OUT/$name.create.log" 2>&1; then
        note "RESULT $1 $4 CREATE-FAILED $(tail -1 "$OUT/$name.create.log")"
        xl destroy "$name" >/dev/null 2>&1
        return
    fi
    i=0
    while [ $i -lt $WAIT ]; do
        grep -q LANE-GUEST-UP "$CONSOLE/serial-$name.log" 2>/dev/null && break
        sleep 2; i=$((i + 2))
        [ $((i % 20)) = 0 ] && note "  $name: ${i}s: $(tail -c 300 "$CONSOLE/serial-$name.log" 2>/dev/null | tr -d '\r' | grep . | tail -1 | cut -c1-80)"
    done
    if grep -q LANE-GUEST-UP "$CONSOLE/serial-$name.log" 2>/dev/null; then
        note "RESULT $1 $4 UP $(echo "$(up) $t0" | awk '{printf "%.1f", $1 - $2}') s"
        cp "$CONSOLE/serial-$name.log" "$OUT/$name.serial.log" 2>/dev/null
    else
        note "RESULT $1 $4 STALL (no LANE-GUEST-UP after ${WAIT} s)"
        cp "$CONSOLE/serial-$name.log" "$OUT/$name.serial.log" 2>/dev/null
        cp /var/log/xen/qemu-dm-"$name".log "$OUT/$name.qemu-dm.log" 2>/dev/null
        xl debug-keys q >/dev/null 2>&1
        xl list -v >"$OUT/$name.xl-list.txt" 2>&1
        xl dmesg >"$OUT/$name.xl-dmesg.txt" 2>&1
    fi
    xl destroy "$name" >/dev/null 2>&1
}

note "SOAK: $BOOTS boots per variant, wait ${WAIT} s; variants:"
echo "$VARIANTS" | while IFS= read -r v; do [ -n "$v" ] && note "  $v"; done
n=1
while [ $n -le "$BOOTS" ]; do
    echo "$VARIANTS" | while IFS='|' read -r label keys cmdline; do
        [ -n "$label" ] && boot "$label" "$keys" "$cmdline" "$n"
    done
    n=$((n + 1))
done
note "SOAK: done"
grep RESULT "$LOG" | awk '{print $3, $5}' | sort | uniq -c | tee -a "$LOG"
