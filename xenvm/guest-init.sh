#!/bin/sh
# /init of the lane's busybox guest (PV, PVH and HVM alike).
# Console markers the end-to-end tests wait for:
#   LANE-GUEST-UP            boot finished (with kernel, memory and cmdline)
#   LANE-GUEST-MEM kB        MemTotal, printed every tick (balloon target seen inside)
#   LANE-GUEST-VCPUS n       online vCPUs, every tick
#   LANE-GUEST-DISK dev ...  a block device appeared (first 16 bytes printed)
#   LANE-GUEST-NIC dev       a network interface appeared
#   LANE-GUEST-TICK n        heartbeat every 2 s
#   LANE-GUEST-POWEROFF / -REBOOT   the guest acted on a shutdown / reboot request
# Kernel command line knobs: lane_ip=ADDR/PREFIX (eth0), lane_ping=IP.
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
insmod /lib/modules/xen-netfront.ko 2>/dev/null
insmod /lib/modules/xen-blkfront.ko 2>/dev/null
mem() { sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo; }
vcpus() { grep -c '^processor' /proc/cpuinfo; }
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
echo "LANE-GUEST-UP kernel=$(uname -r) mem=$(mem) cmdline=$(cat /proc/cmdline)"

trap 'echo LANE-GUEST-POWEROFF; sync; poweroff -f' USR2
trap 'echo LANE-GUEST-REBOOT; sync; reboot -f' TERM
trap 'echo LANE-GUEST-HALT; sync; halt -f' USR1

seen=" "
look_for_devices() {
    for d in /sys/block/xvd* /sys/class/net/eth*; do
        [ -e "$d" ] || continue
        name=${d##*/}
        case "$seen" in *" $name "*) continue ;; esac
        seen="$seen$name "
        case $name in
            xvd*) echo "LANE-GUEST-DISK $name $(cat "$d/size") $(dd if=/dev/"$name" bs=16 count=1 2>/dev/null)" ;;
            eth*) echo "LANE-GUEST-NIC $name $(cat "$d/address")"
                  if [ "$name" = eth0 ] && [ -n "$(arg lane_ip)" ]; then
                      ip link set lo up; ip addr add "$(arg lane_ip)" dev eth0; ip link set eth0 up
                      [ -n "$(arg lane_ping)" ] && ping -c 3 -W 2 "$(arg lane_ping)" >/dev/null \
                          && echo "LANE-GUEST-PING-OK"
                  fi ;;
        esac
    done
    # forget devices that went away so that a re-attach is reported again
    for name in $seen; do
        [ -e "/sys/block/$name" ] || [ -e "/sys/class/net/$name" ] || {
            echo "LANE-GUEST-GONE $name"; seen=$(echo "$seen" | sed "s/ $name / /"); }
    done
}

i=0
while true; do
    i=$((i+1))
    look_for_devices
    echo "LANE-GUEST-TICK $i LANE-GUEST-MEM $(mem) LANE-GUEST-VCPUS $(vcpus)"
    sleep 2 & wait $!
done
