# RHEL 5 fully virtualised guest (Windows Server 2003) with hvmloader,
# qemu-dm, tap:aio: disks and VNC, following xmexample.hvm of Xen 3.1.
import os, re
arch = os.uname()[4]
if re.search('64', arch):
    arch_libdir = 'lib64'
else:
    arch_libdir = 'lib'

name = "win2003"
uuid = "0e8c2b4a-6d1f-4e3a-9b5c-7f2a1d0c3e4b"
kernel = "/usr/lib/xen/boot/hvmloader"
builder = 'hvm'
device_model = '/usr/' + arch_libdir + '/xen/bin/qemu-dm'
memory = 1024
maxmem = 1024
shadow_memory = 8
vcpus = 2
cpu_cap = 150
cpu_weight = 512
pae = 1
acpi = 1
apic = 1
localtime = 1
on_poweroff = 'destroy'
on_reboot = 'restart'
on_crash = 'restart'
boot = 'c'
disk = [ 'tap:aio:/var/lib/xen/images/win2003.img,hda,w',
         'phy:/dev/VolGroup00/win2003data,hdb,w' ]
vif = [ 'type=ioemu, mac=00:16:3e:4a:2b:02, bridge=xenbr0' ]
vnc = 1
vncunused = 1
vnclisten = '0.0.0.0'
sdl = 0
stdvga = 0
serial = 'pty'
usb = 1
usbdevice = 'tablet'
