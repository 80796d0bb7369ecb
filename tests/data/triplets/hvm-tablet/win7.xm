# /etc/xen/win7 as virt-manager 0.6 wrote it on CentOS 5.5
name = "win7"
uuid = "6a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"
maxmem = 2048
memory = 2048
vcpus = 2
builder = "hvm"
kernel = "/usr/lib/xen/boot/hvmloader"
boot = "dc"
pae = 1
acpi = 1
apic = 1
localtime = 1
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "restart"
device_model = "/usr/lib64/xen/bin/qemu-dm"
usbdevice = "tablet"
sdl = 0
vnc = 1
vncunused = 1
keymap = "en-us"
disk = [ "tap:aio:/var/lib/xen/images/win7.img,hda,w", "phy:/dev/VolGroup00/win7data,hdb,w", "file:/srv/iso/win7.iso,hdc:cdrom,r" ]
vif = [ "mac=00:16:3e:7a:8b:9c,bridge=xenbr0,script=vif-bridge,type=ioemu" ]
serial = "pty"
