# /etc/xen/nas1: an HVM guest with a passed-through SATA controller (Xen 3.4 host)
name = "nas1"
uuid = "2f3e4d5c-6b7a-4898-a7b6-c5d4e3f2a1b0"
builder = "hvm"
kernel = "/usr/lib/xen/boot/hvmloader"
device_model = "/usr/lib/xen/bin/qemu-dm"
memory = 1024
vcpus = 1
acpi = 1
apic = 1
boot = "c"
disk = [ "phy:/dev/vg0/nas1,hda,w" ]
vif = [ "mac=00:16:3e:2f:3e:4d,bridge=xenbr0" ]
pci = [ "0000:03:00.0", "04:00.1" ]
vnc = 1
vnclisten = "0.0.0.0"
vncdisplay = 3
vncunused = 0
serial = "pty"
