# /etc/xen/db3, hand-written after xmexample1 (RHEL 5.2)
kernel = "/boot/vmlinuz-2.6.18-92.el5xen"
ramdisk = "/boot/initrd-2.6.18-92.el5xen.img"
memory = 1024
name = "db3"
uuid = "1e2d3c4b-5a69-4788-96a5-b4c3d2e1f0a9"
vcpus = 2
vif = [ "mac=00:16:3e:10:20:30, bridge=xenbr1" ]
disk = [ "phy:/dev/VolGroup00/db3root,xvda,w", "phy:/dev/VolGroup00/db3swap,xvdb,w" ]
ip = "192.168.10.31"
netmask = "255.255.255.0"
gateway = "192.168.10.1"
hostname = "db3.example.com"
root = "/dev/xvda1 ro"
extra = "console=xvc0 selinux=0"
on_crash = "preserve"
