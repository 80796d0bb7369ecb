# /etc/xen/build2: a PV build host pinned to the second socket, 4 of 8 vcpus online
name = "build2"
uuid = "8c7b6a59-4837-4261-b0f9-e8d7c6b5a493"
kernel = "/boot/vmlinuz-2.6.18-194.el5xen"
ramdisk = "/boot/initrd-2.6.18-194.el5xen.img"
extra = "console=xvc0"
root = "/dev/xvda1 ro"
memory = 4096
vcpus = 8
vcpu_avail = 15
cpus = "4-7"
cpu_cap = 400
cpu_weight = 512
disk = [ "phy:/dev/vg0/build2,xvda,w" ]
vif = [ "mac=00:16:3e:8c:7b:6a,bridge=xenbr0" ]
on_reboot = "restart"
on_crash = "destroy"
