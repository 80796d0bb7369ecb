# A diskless PV guest with its root on NFS (xmexample1's ip/nfs keys): xend
# built "root=/dev/nfs ip=... nfsroot=..." from them.  No memory= line: xend
# gave such guests 128 MB.
kernel = "/boot/vmlinuz-2.6.18-8.el5xen"
ramdisk = "/boot/initrd-2.6.18-8.el5xen.img"
name = "diskless01"
vcpus = 1
vif = [ 'mac=00:16:3e:4a:2b:10, bridge=xenbr0' ]
ip = "192.168.10.21"
netmask = "255.255.255.0"
gateway = "192.168.10.1"
hostname = "diskless01"
nfs_server = "192.168.10.5"
nfs_root = "/export/guests/diskless01"
root = "/dev/nfs"
extra = "console=xvc0 3"
on_reboot = 'restart'
on_crash = 'destroy'
