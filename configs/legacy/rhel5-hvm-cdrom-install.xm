# Installing an HVM guest from a CD-ROM image (virt-install --cdrom on RHEL 5):
# boot from the cdrom first, and do not restart when the installer reboots.
name = "centos5-install"
builder = "hvm"
kernel = "/usr/lib/xen/boot/hvmloader"
device_model = "/usr/lib64/xen/bin/qemu-dm"
memory = 768
vcpus = 1
vcpu_avail = 1
boot = "dc"
disk = [ "file:/var/lib/xen/images/centos5.img,hda,w",
         "file:/srv/iso/CentOS-5.11-x86_64-bin-DVD-1of2.iso,hdc:cdrom,r" ]
vif = [ "type=ioemu,bridge=xenbr0" ]
on_reboot = "destroy"
on_crash = "destroy"
vnc = 1
vncdisplay = 3
vncpasswd = "s3cr3t"
