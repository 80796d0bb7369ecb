# /etc/xen/web5 as virt-install wrote it on RHEL 5.4 (Xen 3.1)
name = "web5"
uuid = "5b0d9e1a-2c3f-4a7b-8e6d-1f2a3b4c5d6e"
maxmem = 768
memory = 512
vcpus = 1
bootloader = "/usr/bin/pygrub"
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "restart"
vfb = [ "type=vnc,vncunused=1,keymap=en-us" ]
disk = [ "tap:aio:/var/lib/xen/images/web5.img,xvda,w" ]
vif = [ "bridge=xenbr0,script=vif-bridge" ]
