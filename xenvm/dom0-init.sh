#!/bin/sh
# /init of the lane's dom0 initramfs (xl-py real-Xen lane).
#
# Brings up the Xen toolstack (xenstored, xen-init-dom0, xenconsoled) and libvirtd
# with its libxl driver, mounts the host's lane share (9p, tag "lane") on /mnt/lane,
# then runs /mnt/lane/dom0-run.sh (written by the host for this run) unless the
# kernel command line says "lane=shell" (interactive shell on hvc0).
# Leaves QEMU through isa-debug-exit at port 0xf4: QEMU exits with (1<<1)|1 = 3.
# Markers on the serial console: LANE-DOM0-READY, LANE-RUN-EXIT rc=N, LANE-DOM0-DOWN.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
export HOME=/root LANG=C.UTF-8
say() { echo "LANE-DOM0: $* (uptime $(cut -d' ' -f1 /proc/uptime)s)"; }

mount_basics() {
    mount -t proc proc /proc
    mount -t sysfs sysfs /sys
    mount -t devtmpfs devtmpfs /dev
    # devtmpfs has no /dev/fd & co; Xen's locking.sh loops forever without /dev/stdin
    ln -sfn /proc/self/fd /dev/fd
    ln -sfn /proc/self/fd/0 /dev/stdin
    ln -sfn /proc/self/fd/1 /dev/stdout
    ln -sfn /proc/self/fd/2 /dev/stderr
    mkdir -p /dev/pts /dev/shm
    mount -t devpts devpts /dev/pts
    mount -t tmpfs tmpfs /dev/shm
    mount -t tmpfs tmpfs /run
    mount -t tmpfs -o size=1g tmpfs /tmp
    # the initramfs root is a tmpfs of half dom0's RAM, a third of it the image: the
    # tests' save images (128 MiB each) ran out of space there.  Grown in place: a
    # tmpfs of its own for the scratch broke Xen's block script's disk-in-use check.
    mount -o remount,size=90% / || say "cannot grow the root tmpfs"
    mkdir -p /var/run && mount --bind /run /var/run
    mkdir -p /run/lock /run/xen /run/xenstored /run/libvirt /var/lib/xen /var/lib/xenstored \
        /var/log/xen/console /var/log/libvirt /var/lib/libvirt /var/cache/libvirt
    ln -sfn /run/lock /var/lock
}

load_modules() {
    for m in xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-blkback xen-netback \
             loop bridge tun; do
        modprobe "$m" || say "modprobe $m failed"
    done
    mount -t xenfs xenfs /proc/xen
}

start_xen_daemons() {
    xenstored --pid-file /run/xenstored.pid || say "xenstored failed rc=$?"
    i=0
    while [ ! -S /run/xenstored/socket ] && [ $i -lt 20 ]; do sleep 0.5; i=$((i+1)); done
    xen-init-dom0 || say "xen-init-dom0 failed"
    xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console \
        --timestamp=all || say "xenconsoled failed"
}

start_libvirtd() {
    [ -x /usr/sbin/libvirtd ] || { say "no libvirtd in the image"; return; }
    say "host CPU as libxl reports it to libvirt: $(xl info | grep hw_caps | tr -s ' ')"
    libvirtd -d -p /run/libvirtd.pid || { say "libvirtd failed rc=$?"; return; }
    i=0
    while [ ! -S /run/libvirt/libvirt-sock ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i+1)); done
    [ -S /run/libvirt/libvirt-sock ] && say "libvirtd up" || say "libvirtd socket missing"
}

mount_share() {
    modprobe virtio_pci; modprobe 9pnet_virtio; modprobe 9p
    mkdir -p /mnt/lane
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none lane /mnt/lane \
        && say "lane share on /mnt/lane"
}

leave_qemu() {
    sync
    printf '\001' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    sleep 2
    poweroff -f
}

mount_basics
say "kernel $(uname -r), $(grep MemTotal /proc/meminfo | tr -s ' ')"
load_modules
start_xen_daemons
start_libvirtd
echo "LANE-DOM0-READY"
mount_share
if grep -q 'lane=shell' /proc/cmdline; then
    setsid sh -c 'exec sh </dev/hvc0 >/dev/hvc0 2>&1'
elif [ -f /mnt/lane/dom0-run.sh ]; then
    sh /mnt/lane/dom0-run.sh; rc=$?
    echo "LANE-RUN-EXIT rc=$rc"
else
    say "nothing to run: /mnt/lane/dom0-run.sh missing"
fi
echo "LANE-DOM0-DOWN"
leave_qemu
