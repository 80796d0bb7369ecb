# RHEL 5 paravirtualised guest booted with pygrub, as virt-install wrote it
# into /etc/xen/ on a RHEL 5.x dom0 (xend, Xen 3.1).
name = "rhel5pv"
uuid = "7a3c1b2e-4f5d-4c6b-8a9e-0d1f2e3c4b5a"
maxmem = 1024
memory = 512
vcpus = 2
bootloader = "/usr/bin/pygrub"
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "restart"
vfb = [ "type=vnc,vncunused=1,keymap=en-us" ]
disk = [ "tap:aio:/var/lib/xen/images/rhel5pv.img,xvda,w", "phy:/dev/VolGroup00/rhel5data,xvdb,w" ]
vif = [ "mac=00:16:3e:4a:2b:01,bridge=xenbr0,script=vif-bridge" ]
