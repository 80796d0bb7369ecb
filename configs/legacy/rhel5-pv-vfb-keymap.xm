# virt-install's PV guest on RHEL 5.1 with the keyboard layout set once at the
# top (xend copied it into every vfb), a Xen 3.1 style CPU list and an
# autostart via xend (on_xend_start).
name = "desk01"
uuid = "3f9d2c1a-8b7e-4d6c-9a5b-1c2d3e4f5a6b"
maxmem = 1024
memory = 768
vcpus = 2
cpus = [2, 3]
bootloader = "/usr/bin/pygrub"
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "restart"
keymap = "de"
vfb = [ "type=vnc,vncunused=1" ]
disk = [ "tap:aio:/var/lib/xen/images/desk01.img,xvda,w" ]
vif = [ "mac=00:16:3e:4a:2b:11,bridge=xenbr0" ]
on_xend_start = "start"
on_xend_stop = "suspend"
