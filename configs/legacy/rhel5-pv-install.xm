# A PV network install (virt-install --location on RHEL 5): the installer's
# kernel and initrd, the install tree on the kernel command line, xm create
# variables for the instance number (xm create rhel5-pv-install vmid=4).
vmid = int(vmid)
name = "rhel5inst%d" % vmid
kernel = "/var/lib/xen/vmlinuz.rhel5inst"
ramdisk = "/var/lib/xen/initrd.img.rhel5inst"
extra = "method=http://mirror.example.com/rhel/5/os/x86_64 ks=http://ks.example.com/%d.ks" % vmid
memory = 512
vcpus = 1
restart = "never"
disk = [ "file:/var/lib/xen/images/rhel5inst%d.img,xvda,w!" % vmid ]
vif = [ "mac=00:16:3e:4a:2b:%02x,bridge=xenbr0" % vmid ]
vnc = 1
vncunused = 1
