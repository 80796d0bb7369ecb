# The smallest HVM config xmexample.hvm led to: no boot=, no vnc= (xend then
# booted from the disk only and ran qemu-dm with -nographic), the old cpu=
# key, and a Xen 3.0 style 'ioemu:' disk.
import os, re
arch_libdir = 'lib'
if re.search('64', os.uname()[4]):
    arch_libdir = 'lib64'

kernel = "/usr/lib/xen/boot/hvmloader"
builder = 'hvm'
memory = 512
name = "legacyapp"
vcpus = 1
cpu = 1
disk = [ 'file:/var/lib/xen/images/legacyapp.img,ioemu:hda,w' ]
vif = [ 'type=ioemu, bridge=xenbr0, model=rtl8139' ]
device_model = '/usr/' + arch_libdir + '/xen/bin/qemu-dm'
serial = 'pty'
