#  -*- mode: python; -*-
#============================================================================
# A hand-written PV guest on CentOS 5, grown out of xmexample1: kernel and
# initrd from dom0's /boot, LVM volumes, helper variables, and the keys the
# admin never set (no uuid, no on_crash: xend restarted crashed guests).
#============================================================================
kernel = "/boot/vmlinuz-2.6.18-8.el5xen"
ramdisk = "/boot/initrd-2.6.18-8.el5xen.img"

# Initial memory allocation (in megabytes) for the new domain.
memory = 256 * 2
name = "db01"

lv = "/dev/vg0/db01"
disk = [ 'phy:%s,xvda,w' % lv, 'phy:vg0/db01swap,xvdb,w' ]

# Two NICs on the default bridge: 'nics' was how Xen 2 counted them.
vif = [ '' ]
nics = 2

root_args = "root=/dev/xvda1 ro"
extra = "console=xvc0 " + root_args

# every vcpu on CPUs 0, 2 and 3 (xend's '^' excludes one)
vcpus = 2
cpus = "0-3,^1"
localtime = 1
