# /etc/xen/tiny: the smallest guest xm would start (xmexample1 stripped down)
kernel = "/boot/vmlinuz-2.6.18-xen"
memory = 128
name = "tiny"
disk = [ "file:/srv/xen/tiny.img,xvda1,w" ]
root = "/dev/xvda1 ro"
