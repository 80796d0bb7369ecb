"""Regenerate the device differential configs in this folder.

    .venv/bin/python tests/data/xl/devices/regenerate.py

Writes NAME.cfg for every case below, then asks the reference ``xl -N
create``: a config it accepts gets NAME.json (its stdout, uuid normalised);
one it rejects gets NAME.err, xl_py's own full error text (the messages we
want users to see; the source is named by the file's basename).  A case where
xl_py and xl disagree on accept/reject is reported and gets no expectation.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
UUID = "5d3c1b0e-8a7f-4c2d-9e6b-1f2a3b4c5d6e"
HEAD = {
    "pv": 'type = "pv"\nkernel = "/boot/vmlinuz"\n',
    "pvh": 'type = "pvh"\nkernel = "/boot/vmlinuz"\n',
    "hvm": 'type = "hvm"\n',
}

# name -> (guest type, device lines)
CASES: dict[str, tuple[str, str]] = {}


def case(name: str, gtype: str, body: str) -> None:
    assert name not in CASES, name
    CASES[name] = (gtype, body.strip("\n") + "\n")


# -- disk ------------------------------------------------------------------
DISKS_OK = {
    "phy_w": "phy:/dev/vg/guest,xvda,w",
    "phy_r": "phy:/dev/vg/guest,xvda,r",
    "file_rw": "file:/srv/guest.img,xvda,rw",
    "tap_aio": "tap:aio:/srv/guest.img,xvda,w",
    "tap_qcow2": "tap:qcow2:/srv/guest.qcow2,xvda,w",
    "tap2_vhd": "tap2:vhd:/srv/guest.vhd,xvda,w",
    "aio_prefix": "aio:/srv/guest.img,xvda,w",
    "raw_prefix": "raw:/srv/guest.img,xvdb,w",
    "qcow_prefix": "qcow:/srv/guest.qcow,xvdb,w",
    "qcow2_prefix": "qcow2:/srv/guest.qcow2,xvdb,r",
    "vhd_prefix": "vhd:/srv/guest.vhd,xvdb,w",
    "ioemu_prefix": "ioemu:/srv/guest.img,hda,w",
    "iscsi_prefix": "iscsi:iqn.2001-05.com.example:disk0,xvda,w",
    "drbd_prefix": "drbd:res0,xvda,w",
    "nbd_prefix": "nbd:server:10809,xvda,w",
    "positional_fmt": "/srv/guest.qcow2,qcow2,xvda,rw",
    "positional_empty_fmt": "/srv/guest.img,,xvda,rw",
    "positional_noaccess": "/srv/guest.img,raw,xvda",
    "positional_ro": "/srv/guest.img,xvda,ro",
    "kv_basic": "vdev=xvda,target=/dev/vg/guest",
    "kv_all": "format=raw,vdev=xvda,access=rw,backendtype=phy,target=/dev/vg/guest",
    "kv_spaces": "format=raw, vdev=xvda, access=w, target=/dev/vg/guest",
    "kv_qdisk": "vdev=xvda,backendtype=qdisk,format=qcow2,target=/srv/g.qcow2",
    "kv_tap": "vdev=xvda,backendtype=tap,target=/srv/g.img",
    "kv_standalone": "vdev=xvda,backendtype=standalone,target=/srv/g.img",
    "kv_backend_dom": "vdev=xvda,backend=storage-dom,target=/dev/sdb",
    "kv_script": "vdev=xvda,script=block-iscsi,target=iqn.2001-05.com.example:x",
    "kv_discard": "vdev=xvda,discard,target=/dev/vg/g",
    "kv_no_discard": "vdev=xvda,no-discard,target=/dev/vg/g",
    "kv_direct_io": "vdev=xvda,direct-io-safe,target=/dev/vg/g",
    "kv_virtio": "vdev=xvda,specification=virtio,target=/dev/vg/g",
    "kv_spec_xen": "vdev=xvda,specification=xen,target=/dev/vg/g",
    "kv_colo": "vdev=xvda,colo,colo-host=192.0.2.1,colo-port=9000,colo-export=e1,"
               "active-disk=/a.img,hidden-disk=/h.img,target=/dev/vg/g",
    "kv_no_colo": "vdev=xvda,no-colo,target=/dev/vg/g",
    "target_comma": "vdev=xvda,target=/srv/odd,name.img",
    "format_vhd": "format=vhd,vdev=xvda,target=/srv/g.vhd",
    "format_qed": "format=qed,vdev=xvda,target=/srv/g.qed",
    "format_empty_kv": "format=empty,vdev=hdc,devtype=cdrom",
}
for key, spec in DISKS_OK.items():
    case(f"disk_{key}", "pv", f'disk = [ "{spec}" ]')

case("disk_cdrom_hvm", "hvm", 'disk = [ "/srv/install.iso,raw,hdc:cdrom,r" ]')
case("disk_cdrom_empty_hvm", "hvm", 'disk = [ ",,hdc:cdrom,r" ]')
case("disk_cdrom_short_hvm", "hvm", 'disk = [ ",hdc:cdrom,r" ]')
case("disk_cdrom_devtype_hvm", "hvm", 'disk = [ "vdev=hdc,devtype=cdrom,target=/srv/x.iso" ]')
case("disk_cdrom_noTarget_hvm", "hvm", 'disk = [ "vdev=hdc,devtype=cdrom" ]')
case("disk_cdrom_word_hvm", "hvm", 'disk = [ "/srv/x.iso,hdc,r,cdrom" ]')
case("disk_devtype_disk_hvm", "hvm", 'disk = [ "/srv/x.img,hda:disk,w" ]')
case("disk_many_hvm", "hvm", '''disk = [ "phy:/dev/vg/root,hda,w",
         "file:/srv/data.img,hdb,w",
         "/srv/install.iso,raw,hdc:cdrom,r" ]''')
case("disk_many_pvh", "pvh", '''disk = [ "phy:/dev/vg/root,xvda,w", "phy:/dev/vg/swap,xvdb,w",
         "format=qcow2,vdev=xvdc,access=ro,target=/srv/ro.qcow2" ]''')
case("disk_single_value", "pv", 'disk = "phy:/dev/vg/guest,xvda,w"')
case("disk_nested_list", "pv", 'disk = [ "phy:/dev/vg/a,xvda,w", [ "x" ], "phy:/dev/vg/b,xvdb,w" ]')
case("disk_plus_eq", "pv", 'disk = [ "phy:/dev/vg/a,xvda,w" ]\ndisk += [ "phy:/dev/vg/b,xvdb,w" ]')
case("disk_empty_list", "pv", "disk = [ ]")

DISKS_BAD = {
    "unknown_param": "phy:/dev/vg/guest,xvda,w,foo=1",
    "bad_access": "/dev/vg/guest,raw,xvda,rx",
    "bad_format": "/dev/vg/guest,qcow3,xvda,w",
    "bad_format_kv": "format=qcow3,vdev=xvda,target=/x",
    "bad_backendtype": "vdev=xvda,backendtype=blk,target=/x",
    "bad_devtype": "vdev=xvda,devtype=floppy,target=/x",
    "bad_spec": "vdev=xvda,specification=scsi,target=/x",
    "bad_prefix": "foo:/dev/x,xvda,w",
    "too_many": "/dev/x,raw,xvda,w,extra",
    "no_vdev": "/dev/vg/guest",
    "no_target": "vdev=xvda",
    "vdev_twice": "vdev=xvda,vdev=xvdb,target=/x",
    "target_twice": "/dev/a,xvda,w,target=/dev/b",
    "fmt_respec": "qcow2:/x,xvda,w,format=raw",
    "colo_port": "vdev=xvda,colo-port=abc,target=/x",
    "trusted": "/dev/x,xvda,w,trusted",
    "bad_syntax": "vdev=xvda,=x,target=/x",
    "deprecated_type": "/dev/x,hdd:floppy,w",
    "empty": "",
}
for key, spec in DISKS_BAD.items():
    case(f"bad_disk_{key}", "pv", f'disk = [ "{spec}" ]')
case("bad_disk_two_errors", "pv", 'disk = [ "/dev/x,xvda,rx", "vdev=xvdb" ]')

# -- vif ---------------------------------------------------------------------
VIFS = {
    "empty": "",
    "bridge": "bridge=xenbr0",
    "mac": "mac=00:16:3e:12:34:56",
    "mac_upper": "mac=00:16:3E:AB:CD:EF",
    "mac_short_octets": "mac=0:16:3e:1:2:3",
    "mac_dashes": "mac=00-16-3e-12-34-56",
    "ip": "ip=192.0.2.10",
    "type_vif": "type=vif",
    "type_ioemu": "type=ioemu,model=e1000",
    "model": "model=rtl8139",
    "vifname": "vifname=guest-eth0",
    "script": "script=vif-route",
    "backend": "backend=netdom",
    "gatewaydev": "gatewaydev=eth0",
    "netdev": "netdev=eth1",
    "mtu": "mtu=9000",
    "devid": "devid=5",
    "rate": "rate=10Mb/s@20ms",
    "rate_default_interval": "rate=100MB/s",
    "rate_bytes_us": "rate=1GB/s@100us",
    "trusted": "trusted",
    "untrusted": "untrusted",
    "accel": "accel=x",
    "unknown_key": "bridge=br0,foo=bar",
    "unknown_word": "bridge=br0,foo",
    "bad_type": "type=tap",
    "bad_mac": "mac=zz:16:3e:12:34:56",
    "partial_mac": "mac=00:16:zz",
    "spaces": "mac=00:16:3e:00:00:01, bridge=br0,  ip=192.0.2.5",
    "colo": "forwarddev=eth0,colo_sock_mirror_id=m1,colo_sock_mirror_ip=10.0.0.1,"
            "colo_sock_mirror_port=9001,colo_filter_mirror_queue=q0,"
            "colo_compare_pri_in=p,colo_checkpoint_host=h,colo_checkpoint_port=9002",
    "all": "mac=00:16:3e:01:02:03,bridge=xenbr1,ip=192.0.2.7,type=vif,vifname=web0,"
           "script=vif-bridge,backend=0,rate=5MB/s,gatewaydev=eth2,mtu=1400",
    "devid_junk": "devid=3x",
    "mtu_hex": "mtu=0x10",
}
for key, spec in VIFS.items():
    case(f"vif_{key}", "pv", f'vif = [ "{spec}" ]')
case("vif_three_hvm", "hvm", 'vif = [ "bridge=br0", "type=ioemu,model=e1000", "bridge=br1" ]')
case("vif_devid_gap", "pvh", 'vif = [ "devid=7,bridge=a", "bridge=b" ]')
case("vif_nested_list", "pv", 'vif = [ "bridge=a", [ "x" ], "bridge=b" ]')
case("vif2_deprecated", "pv", 'vif2 = [ "bridge=a" ]')
for key, spec in {"rate_bad": "rate=10Mbps", "rate_overflow": "rate=4294967296B/s",
                  "rate_interval": "rate=10Mb/s@20ns", "rate_empty": "rate=@20ms",
                  "devid_nan": "devid=abc", "mtu_nan": "mtu=big"}.items():
    case(f"bad_vif_{key}", "pv", f'vif = [ "{spec}" ]')

# -- pci ---------------------------------------------------------------------
PCIS = {
    "short": "01:02.3", "domain": "0000:03:00.0", "all_funcs": "02:00.*",
    "vslot": "0000:03:00.0@5", "permissive": "01:00.0,permissive=1",
    "opts": "01:00.0,msitranslate=1,seize=1,power_mgmt=1",
    "rdm_policy": "01:00.0,rdm_policy=relaxed", "kv_bdf": "bdf=0000:04:00.1,vslot=3",
    "name": "name=gpu0", "hex_upper": "0A:1F.7",
}
for key, spec in PCIS.items():
    case(f"pci_{key}_hvm", "hvm", f'pci = [ "{spec}" ]')
case("pci_pv", "pv", 'pci = [ "01:02.3", "02:00.0,permissive=1" ]')
case("pci_pvh", "pvh", 'pci = [ "01:02.3" ]')
case("pci_globals_hvm", "hvm", 'pci_permissive = 1\npci_msitranslate = 1\npci_seize = 1\n'
     'pci_power_mgmt = 1\npci = [ "01:00.0", "02:00.0,permissive=0" ]')
case("pci_globals_pv", "pv", 'pci_permissive = 1\npci = [ "01:00.0" ]')
case("pci_rdm_dropped_hvm", "hvm", 'rdm = "policy=relaxed"\npci = [ "01:00.0" ]')
PCIS_BAD = {
    "func": "01:02.8", "dev": "01:20.0", "bus": "100:00.0", "no_bdf": "permissive=1",
    "both": "01:02.3,name=gpu", "unknown": "01:02.3,foo=1", "not_kv": "01:02.3,permissive",
    "vslot": "01:02.3@20", "junk": "01:02.3x", "rdm_policy": "01:02.3,rdm_policy=lax",
    "empty": "",
}
for key, spec in PCIS_BAD.items():
    case(f"bad_pci_{key}", "hvm", f'pci = [ "{spec}" ]')

# -- dtdev, vfb, vkb ---------------------------------------------------------
case("dtdev", "pv", 'dtdev = [ "/soc/uart@10000", "/soc/gpio" ]')
VFBS = {
    "vnc": "vnc=1", "vnc_all": "vnc=1,vnclisten=0.0.0.0,vncdisplay=3,vncunused=0,"
    "vncpasswd=secret", "sdl": "sdl=1,opengl=1,display=:0,xauthority=/root/.Xauthority",
    "keymap": "vnc=1,keymap=de", "off": "vnc=0,sdl=0", "unknown": "vnc=1,foo=bar",
    "stop_word": "vnc=1,novalue,keymap=fr", "empty": "", "spaces": "vnc=1, keymap=en-us",
}
for key, spec in VFBS.items():
    case(f"vfb_{key}", "pv", f'vfb = [ "{spec}" ]')
case("vfb_two_pvh", "pvh", 'vfb = [ "vnc=1", "sdl=1" ]')
case("vfb_hvm", "hvm", 'vfb = [ "vnc=1,vnclisten=127.0.0.1" ]')
case("vfb_vkb_pv", "pv", 'vfb = [ "vnc=1" ]\nvkb = [ "backend-type=linux" ]')
VKBS = {
    "linux": "backend-type=linux", "qemu": "backend-type=qemu,backend=0",
    "features": "backend-type=linux,unique-id=kbd0,feature-disable-keyboard=1,"
                "feature-disable-pointer=0,feature-abs-pointer=1,feature-raw-pointer=1,"
                "width=1024,height=768",
    "touch": "backend-type=linux,multi-touch-width=100,multi-touch-height=200,"
             "multi-touch-num-contacts=5",
}
for key, spec in VKBS.items():
    case(f"vkb_{key}", "pvh", f'vkb = [ "{spec}" ]')
for key, spec in {"no_type": "unique-id=k", "bad_type": "backend-type=x11",
                  "unknown": "backend-type=linux,foo=1",
                  "touch_missing": "backend-type=linux,feature-multi-touch=1"}.items():
    case(f"bad_vkb_{key}", "pvh", f'vkb = [ "{spec}" ]')

# -- channel, usb, vtpm, p9, pvcalls, vdispl, vsnd ------------------------------
CHANNELS = {
    "pty": "name=org.example.agent,connection=pty",
    "socket": "name=org.qemu.guest_agent.0,connection=socket,path=/run/xen/qga.sock",
    "backend": "backend=0,name=c,connection=pty",
    "spaces": " name = n , connection = pty ",
    "unknown": "name=c,connection=pty,foo=bar",
}
for key, spec in CHANNELS.items():
    case(f"channel_{key}", "pv", f'channel = [ "{spec}" ]')
case("channel_two_hvm", "hvm", 'channel = [ "name=a,connection=pty", '
     '"name=b,connection=socket,path=/tmp/b" ]')
for key, spec in {"no_conn": "name=c", "bad_conn": "name=c,connection=tcp",
                  "no_path": "name=c,connection=socket", "not_kv": "name=c,pty"}.items():
    case(f"bad_channel_{key}", "pv", f'channel = [ "{spec}" ]')

case("usbctrl_qusb_hvm", "hvm", 'usbctrl = [ "type=qusb,version=2,ports=4" ]')
case("usbctrl_pv", "pv", 'usbctrl = [ "type=pv,version=2,ports=8", "version=3" ]')
case("usbctrl_dm_hvm", "hvm", 'usbctrl = [ "type=devicemodel,version=1" ]')
case("usbctrl_auto_hvm", "hvm", 'usbctrl = [ "type=auto" ]')
case("usbdev_hvm", "hvm", 'usbctrl = [ "version=2" ]\n'
     'usbdev = [ "type=hostdev,hostbus=1,hostaddr=3,controller=0,port=1" ]')
case("usbdev_notype_hvm", "hvm", 'usbdev = [ "hostbus=2,hostaddr=5" ]')
case("usbdev_hex_hvm", "hvm", 'usbdev = [ "type=hostdev,hostbus=0x10,hostaddr=010" ]')
for key, spec in {"usbctrl_type": 'usbctrl = [ "type=ehci" ]',
                  "usbctrl_key": 'usbctrl = [ "speed=high" ]',
                  "usbdev_type": 'usbdev = [ "type=keyboard" ]',
                  "usbdev_key": 'usbdev = [ "hostbus=1,bus=2" ]'}.items():
    case(f"bad_{key}_hvm", "hvm", spec)

case("vtpm", "pv", 'vtpm = [ "backend=vtpmmgr,uuid=b7e2f8d2-7a1c-4e5f-9a0b-3c4d5e6f7a8b" ]')
case("vtpm_two", "pvh", 'vtpm = [ "backend=0", "backend=tpmdom" ]')
case("vtpm_upper_uuid", "pv", 'vtpm = [ "backend=0,uuid=B7E2F8D2-7A1C-4E5F-9A0B-3C4D5E6F7A8B" ]')
for key, spec in {"no_backend": "uuid=b7e2f8d2-7a1c-4e5f-9a0b-3c4d5e6f7a8b",
                  "bad_uuid": "backend=0,uuid=nope", "unknown": "backend=0,foo=1"}.items():
    case(f"bad_vtpm_{key}", "pv", f'vtpm = [ "{spec}" ]')

case("p9", "pv", 'p9 = [ "tag=share,path=/srv/share,security_model=none" ]')
case("p9_backend", "pvh", 'p9 = [ "tag=t,path=/p,security_model=mapped,backend=fsdom", '
     '"tag=u,path=/q,security_model=none" ]')
for key, spec in {"missing": "tag=share,path=/srv",
                  "unknown": "tag=a,path=/b,security_model=none,ro=1"}.items():
    case(f"bad_p9_{key}", "pv", f'p9 = [ "{spec}" ]')

case("pvcalls", "pv", 'pvcalls = [ "backend=0", "" ]')
case("bad_pvcalls_key", "pv", 'pvcalls = [ "frontend=0" ]')

case("vdispl", "pv", 'vdispl = [ "connectors=c0:1920x1080;c1:800x600,be-alloc=1,backend=0" ]')
case("vdispl_two", "pvh", 'vdispl = [ "connectors=a:640x480", "connectors=b:1024x768" ]')
for key, spec in {"none": "be-alloc=1", "res": "connectors=c0:big",
                  "key": "connectors=c:1x1,x=1"}.items():
    case(f"bad_vdispl_{key}", "pv", f'vdispl = [ "{spec}" ]')

CARD = ("card, short-name=Main, long-name=Main card, sample-rates=8000;44100;48000, "
        "sample-formats=s16_le;s24_le")
case("vsnd", "pv", f'''vsnd = [ [ "{CARD}",
           "pcm, name=dev0, channels-max=2",
           "stream, unique-id=s0, type=p, buffer-size=65536",
           "stream, unique-id=s1, type=c" ] ]''')
case("vsnd_two_cards", "pvh", 'vsnd = [ [ "card, backend=0" ], [ "stream, unique-id=x, type=p" ] ]')
for key, body in {"kind": 'vsnd = [ [ "device, name=x" ] ]',
                  "format": 'vsnd = [ [ "card, sample-formats=s16_le;mp3" ] ]',
                  "stream_type": 'vsnd = [ [ "stream, type=x" ] ]',
                  "param": 'vsnd = [ [ "pcm, short-name=x" ] ]',
                  "not_list": 'vsnd = [ "card, short-name=x" ]'}.items():
    case(f"bad_vsnd_{key}", "pv", body)

# -- mixed, device-heavy guests ---------------------------------------------------
case("mixed_pv", "pv", '''disk = [ "phy:/dev/vg/web,xvda,w", "file:/srv/web-data.img,xvdb,w" ]
vif = [ "mac=00:16:3e:10:20:30,bridge=xenbr0", "bridge=xenbr1,rate=50Mb/s" ]
vfb = [ "vnc=1,vnclisten=0.0.0.0,keymap=en-gb" ]
channel = [ "name=org.qemu.guest_agent.0,connection=pty" ]
vtpm = [ "backend=0" ]
p9 = [ "tag=host,path=/srv/host,security_model=none" ]''')
case("mixed_hvm", "hvm", '''disk = [ "phy:/dev/vg/win,hda,w", "/srv/win.iso,raw,hdc:cdrom,r" ]
vif = [ "type=ioemu,model=e1000,mac=00:16:3e:aa:bb:cc,bridge=xenbr0" ]
pci = [ "0000:03:00.0@4,permissive=1", "0000:03:00.1" ]
usbctrl = [ "type=qusb,version=3,ports=4" ]
usbdev = [ "type=hostdev,hostbus=3,hostaddr=7" ]
vfb = [ "vnc=1" ]''')
case("mixed_pvh", "pvh", '''disk = [ "format=raw,vdev=xvda,access=rw,target=/dev/vg/pvh" ]
vif = [ "bridge=br0,vifname=pvh0,mtu=1500" ]
vkb = [ "backend-type=linux,unique-id=k0" ]
vdispl = [ "connectors=main:1280x720" ]
pvcalls = [ "backend=0" ]''')
case("mixed_errors", "hvm", '''disk = [ "phy:/dev/vg/x,xvda,w,foo=1" ]
pci = [ "01:02.9" ]
channel = [ "name=c" ]''')


# -- value sub-languages outside devices: cpuid, vnuma ----------------------------
CPUIDS = {
    "host_flags": '"host,tm=0,sse3=0"',
    "family_model": '"host,family=6,model=0x2d,stepping=7"',
    "ext_family": '"host,family=21,model=2"',
    "keep_values": '"host,aes=k,avx=s,vmx=x,maxleaf=13,procpkg=3"',
    "msr_features": '"host,arch-caps=0,rsba=1,ssb-no=k"',
    "named_fields": '"host,sse4.1=0,svm_npt=1,lfence+=0,nc=3,apicidsize=7,btc-no=1,invtsc=k"',
    "new_features": '"host,avx512f=0,amx-tile=1,serialize=0,md-clear=k,ibrsb=0,stibp=1"',
    "bad_words": '"host,foo=1,tm"',
    "no_host": '"nohost,tm=0"',
    "bad_value": '"host,tm=q"',
    "xend": '[ "0x1:ecx=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0,edx=1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", '
            '"7,0:ebx=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" ]',
    "xend_bad": '[ "0x1:ecx=xx", "zz:eax=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "0x4:fax=1", "0xd" ]',
}
for key, value in CPUIDS.items():
    case(f"spec_cpuid_{key}", "hvm", f"cpuid = {value}")
case("spec_cpuid_pv", "pv", 'cpuid = "host,aes=0"')

VNODE = '"pnode=0", "size=256", "vcpus={}", "vdistances=10,20"'
case("spec_vnuma_two_nodes_hvm", "hvm", "maxvcpus = 4\nvnuma = [ [ "
     + VNODE.format("0-1") + " ], [ " + VNODE.format("2-3") + " ] ]")
case("spec_vnuma_no_maxvcpus", "pvh", 'vnuma = [ [ "size=128", "vcpus=0" ], '
     '[ "size=128", "vcpus=1", "foo=1" ] ]')
case("spec_vnuma_one_node_pv", "pv", 'vnuma = [ [ "size=256", "vcpus=0,1" ] ]')
case("spec_bad_vnuma_maxmem", "pv", 'maxmem = 1024\nvnuma = [ [ "size=256", "vcpus=0" ] ]')
case("spec_bad_vnuma_vcpus", "pv", 'vnuma = [ [ "size=256", "vcpus=0-2" ] ]')
case("spec_bad_vnuma_pnode", "pv", 'vnuma = [ [ "pnode=1", "size=256", "vcpus=0" ] ]')
case("spec_bad_vnuma_maxvcpus", "hvm", 'maxvcpus = 3\nvnuma = [ [ "size=256", "vcpus=0-1" ] ]')
case("spec_bad_vnuma_size", "pv", 'vnuma = [ [ "size=lots", "vcpus=0" ] ]')


def write_configs() -> list[Path]:
    paths = []
    for name, (gtype, body) in CASES.items():
        path = HERE / f"{name}.cfg"
        text = (f'# device differential case {name} (tests/data/xl/devices/regenerate.py)\n'
                f'name = "{name}"\n{HEAD[gtype]}memory = 256\nuuid = "{UUID}"\n{body}')
        path.write_text(text)
        paths.append(path)
    return paths


def main() -> int:
    root = HERE.parents[3]
    sys.path.insert(0, str(root / "tests"))
    sys.path.insert(0, str(root))
    from reference import xlref

    from xl_py.errors import XlPyError
    from xl_py.pipeline import build, to_json

    problems = 0
    for old in list(HERE.glob("*.json")) + list(HERE.glob("*.err")):
        old.unlink()
    for path in write_configs():
        ref = xlref.xl_dryrun(path)
        try:
            ours: str | None = to_json(build(path.read_text(), path.name).config)
            error = ""
        except XlPyError as exc:
            ours, error = None, str(exc)
        if ref.rc == 0 and ours is not None:
            path.with_suffix(".json").write_text(xlref.normalise_uuid(ref.stdout))
        elif ref.rc != 0 and ours is None:
            path.with_suffix(".err").write_text(error + "\n")
        else:
            problems += 1
            print(f"{path.name}: xl rc={ref.rc}, xl_py {'accepts' if ours else 'rejects'}")
            print("   xl:", ref.stderr.strip().splitlines()[-1:] if ref.stderr else "")
            print("   xl_py:", error.splitlines()[:1])
    print(f"{len(CASES)} cases, {problems} disagreements")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
