/*
 * nohv_shim.c: an LD_PRELOAD stand-in for the hypervisor under Debian 12's
 * unmodified Xen 4.17 tools, so that they run on a machine without Xen.
 *
 * It answers only what the tools ask of the hypervisor (libxenctrl,
 * libxenevtchn, libxengnttab, /proc/xen/xsd_{port,kva}) and of xenstore
 * (libxenstore's xs_open, when no daemon is wanted); everything else (the
 * xl.cfg parser, xl's config-to-libxl translation, libxl's JSON, the xenstore
 * daemons) is the genuine code.
 *
 *   xl -N create:  libxl_ctx_alloc opens a libxc handle and a xenstore
 *                  connection, parse_config_data asks libxl_get_physinfo,
 *                  libxl_get_max_cpus/nodes, libxl_get_online_cpus, the cpu
 *                  topology (cpus="nodes:N"), and xl.c's autoballoon check asks
 *                  libxl_get_version_info.  Nothing is written to xenstore, so
 *                  xs_open returns a handle that is only ever closed, unless
 *                  XENSTORED_PATH names a real daemon.
 *   xenstored:     a libxc handle, xc_domain_getinfo (dom0 only), an event
 *                  channel handle whose fd never fires, grant mappings backed
 *                  by anonymous pages, and dom0's ring page from xsd_kva.
 *
 * Environment (all optional):
 *   XLREF_XL_CONF         file read instead of /etc/xen/xl.conf
 *   XLREF_HOST_CPUS       number of host cpus (default 2)
 *   XLREF_HOST_NODES      number of NUMA nodes (default 1; cpus are spread
 *                         over nodes in contiguous blocks)
 *   XLREF_HOST_MEMORY_MB  host memory, all free (default 4096)
 *   XLREF_XEN_CMDLINE     the hypervisor command line (default empty)
 *   XLREF_XS_RUNDIR       where oxenstored's hard-coded /var/run/xenstored
 *                         paths go (oxenstored also raises RLIMIT_NOFILE to
 *                         fs.nr_open: above the hard limit, we clamp)
 *   XLREF_SHIM_DEBUG      log every call answered to stderr
 *
 * Written for the xl_py project; GPL-2.0-or-later.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#define EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------------ */
/* configuration                                                       */

static int env_int(const char *name, int dflt, int lo, int hi)
{
    const char *s = getenv(name);
    char *end;
    long v;

    if (!s || !*s)
        return dflt;
    v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi)
        return dflt;
    return (int)v;
}

static int host_cpus(void) { return env_int("XLREF_HOST_CPUS", 2, 1, 4096); }
static int host_nodes(void) { return env_int("XLREF_HOST_NODES", 1, 1, 64); }

static uint64_t host_pages(void)
{
    return (uint64_t)env_int("XLREF_HOST_MEMORY_MB", 4096, 64, 1 << 24) * 256;
}

static int node_of_cpu(int cpu)
{
    return cpu * host_nodes() / host_cpus();
}

static void trace(const char *fmt, ...)
{
    va_list ap;

    if (!getenv("XLREF_SHIM_DEBUG"))
        return;
    fputs("[nohv] ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void *next_symbol(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);

    if (!p) {
        fprintf(stderr, "nohv_shim: no next %s: %s\n", name, dlerror());
        abort();
    }
    return p;
}

/* ------------------------------------------------------------------ */
/* libxenctrl                                                          */

/* Callers only compare the handle with NULL and hand it back to us. */
static char fake_xc_handle;

EXPORT xc_interface *xc_interface_open(xentoollog_logger *logger,
                                       xentoollog_logger *dombuild_logger,
                                       unsigned open_flags)
{
    (void)logger; (void)dombuild_logger; (void)open_flags;
    trace("xc_interface_open");
    return (xc_interface *)&fake_xc_handle;
}

EXPORT int xc_interface_close(xc_interface *xch)
{
    (void)xch;
    return 0;
}

static int copy_string(void *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
    return 0;
}

EXPORT int xc_version(xc_interface *xch, int cmd, void *arg)
{
    (void)xch;
    trace("xc_version %d", cmd);
    switch (cmd) {
    case XENVER_version:
        return (4 << 16) | 17;
    case XENVER_extraversion:
        return copy_string(arg, sizeof(xen_extraversion_t), ".0-nohv");
    case XENVER_compile_info: {
        xen_compile_info_t *ci = arg;
        copy_string(ci->compiler, sizeof(ci->compiler), "none");
        copy_string(ci->compile_by, sizeof(ci->compile_by), "xl_py");
        copy_string(ci->compile_domain, sizeof(ci->compile_domain), "nohv");
        return copy_string(ci->compile_date, sizeof(ci->compile_date), "");
    }
    case XENVER_capabilities:
        return copy_string(arg, sizeof(xen_capabilities_info_t),
                           "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64");
    case XENVER_changeset:
        return copy_string(arg, sizeof(xen_changeset_info_t), "unavailable");
    case XENVER_platform_parameters:
        ((xen_platform_parameters_t *)arg)->virt_start = 0xffff800000000000UL;
        return 0;
    case XENVER_pagesize:
        return 4096;
    case XENVER_commandline: {
        const char *cmdline = getenv("XLREF_XEN_CMDLINE");
        return copy_string(arg, sizeof(xen_commandline_t), cmdline ? cmdline : "");
    }
    case XENVER_build_id:
        return -ENODATA;
    default:
        errno = ENOSYS;
        return -1;
    }
}

EXPORT int xc_physinfo(xc_interface *xch, xc_physinfo_t *info)
{
    (void)xch;
    trace("xc_physinfo");
    memset(info, 0, sizeof(*info));
    info->threads_per_core = 1;
    info->cores_per_socket = host_cpus();
    info->nr_cpus = host_cpus();
    info->max_cpu_id = host_cpus() - 1;
    info->nr_nodes = host_nodes();
    info->max_node_id = host_nodes() - 1;
    info->cpu_khz = 2000000;
    info->total_pages = host_pages();
    info->free_pages = host_pages();
    info->max_mfn = host_pages();
    info->capabilities = XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_pv |
                         XEN_SYSCTL_PHYSCAP_hap | XEN_SYSCTL_PHYSCAP_shadow |
                         XEN_SYSCTL_PHYSCAP_gnttab_v1 | XEN_SYSCTL_PHYSCAP_gnttab_v2;
    return 0;
}

EXPORT int xc_get_max_cpus(xc_interface *xch) { (void)xch; return host_cpus(); }
EXPORT int xc_get_online_cpus(xc_interface *xch) { (void)xch; return host_cpus(); }
EXPORT int xc_get_max_nodes(xc_interface *xch) { (void)xch; return host_nodes(); }
EXPORT int xc_get_cpumap_size(xc_interface *xch) { (void)xch; return (host_cpus() + 7) / 8; }
EXPORT int xc_get_nodemap_size(xc_interface *xch) { (void)xch; return (host_nodes() + 7) / 8; }
EXPORT long xc_sharing_freed_pages(xc_interface *xch) { (void)xch; return 0; }
EXPORT long xc_sharing_used_frames(xc_interface *xch) { (void)xch; return 0; }

/* With NULL buffers these report the count only (libxl asks twice). */
EXPORT int xc_cputopoinfo(xc_interface *xch, unsigned *max_cpus, xc_cputopo_t *cputopo)
{
    unsigned i, n = (unsigned)host_cpus();

    (void)xch;
    trace("xc_cputopoinfo");
    for (i = 0; cputopo && i < *max_cpus && i < n; i++) {
        cputopo[i].core = i;
        cputopo[i].socket = 0;
        cputopo[i].node = (uint32_t)node_of_cpu((int)i);
    }
    *max_cpus = n;
    return 0;
}

EXPORT int xc_numainfo(xc_interface *xch, unsigned *max_nodes,
                       xc_meminfo_t *meminfo, uint32_t *distance)
{
    unsigned i, j, n = (unsigned)host_nodes();
    uint64_t per_node = host_pages() * 4096 / n;

    (void)xch;
    trace("xc_numainfo");
    for (i = 0; meminfo && i < *max_nodes && i < n; i++) {
        meminfo[i].memsize = per_node;
        meminfo[i].memfree = per_node;
    }
    for (i = 0; distance && i < *max_nodes && i < n; i++)
        for (j = 0; j < n; j++)
            distance[i * *max_nodes + j] = i == j ? 10 : 20;
    *max_nodes = n;
    return 0;
}

/* Only dom0 exists. */
EXPORT int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
                             unsigned int max_doms, xc_dominfo_t *info)
{
    (void)xch;
    trace("xc_domain_getinfo %u", first_domid);
    if (!max_doms || first_domid > 0)
        return 0;
    memset(info, 0, sizeof(*info));
    info->running = 1;
    info->nr_pages = host_pages() / 4;
    info->max_memkb = host_pages() / 4 * 4;
    info->nr_online_vcpus = (unsigned)host_cpus();
    info->max_vcpu_id = (unsigned)host_cpus() - 1;
    return 1;
}

EXPORT int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
                                 unsigned int max_domains, xc_domaininfo_t *info)
{
    (void)xch;
    trace("xc_domain_getinfolist %u", first_domain);
    if (!max_domains || first_domain > 0)
        return 0;
    memset(info, 0, sizeof(*info));
    info->flags = XEN_DOMINF_running;
    info->tot_pages = host_pages() / 4;
    info->max_pages = host_pages() / 4;
    info->nr_online_vcpus = (uint32_t)host_cpus();
    info->max_vcpu_id = (uint32_t)host_cpus() - 1;
    return 1;
}

/* libxl_domain_info asks for the security label: no XSM/FLASK here (Xen's
 * answer without FLASK is ENOSYS; libxl then leaves ssid_label unset) */
EXPORT int xc_flask_sid_to_context(xc_interface *xch, int sid, char *buf, uint32_t size)
{
    (void)xch; (void)sid; (void)buf; (void)size;
    trace("xc_flask_sid_to_context");
    errno = ENOSYS;
    return -1;
}

/* ------------------------------------------------------------------ */
/* libxenstore: no daemon unless XENSTORED_PATH asks for one           */

static char fake_xs_handle;

EXPORT struct xs_handle *xs_open(unsigned long flags)
{
    struct xs_handle *(*real)(unsigned long);

    if (getenv("XENSTORED_PATH")) {
        real = (struct xs_handle *(*)(unsigned long))next_symbol("xs_open");
        return real(flags);
    }
    trace("xs_open: no daemon");
    return (struct xs_handle *)&fake_xs_handle;
}

EXPORT void xs_close(struct xs_handle *xsh)
{
    void (*real)(struct xs_handle *);

    if (xsh == (struct xs_handle *)&fake_xs_handle || !xsh)
        return;
    real = (void (*)(struct xs_handle *))next_symbol("xs_close");
    real(xsh);
}

/* ------------------------------------------------------------------ */
/* libxenevtchn: a pipe that never fires                               */

struct xenevtchn_handle {
    int rfd, wfd;
    evtchn_port_t next_port;
};

static xenevtchn_handle *new_evtchn(int cloexec)
{
    xenevtchn_handle *xce = calloc(1, sizeof(*xce));
    int fds[2];

    if (!xce)
        return NULL;
    if (pipe2(fds, O_NONBLOCK | (cloexec ? O_CLOEXEC : 0))) {
        free(xce);
        return NULL;
    }
    xce->rfd = fds[0];
    xce->wfd = fds[1];
    xce->next_port = 10;
    return xce;
}

EXPORT xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned flags)
{
    (void)logger;
    trace("xenevtchn_open");
    return new_evtchn(!(flags & XENEVTCHN_NO_CLOEXEC));
}

EXPORT xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger,
                                          int fd, unsigned open_flags)
{
    (void)logger; (void)open_flags;
    if (fd >= 0)
        close(fd);
    return new_evtchn(1);
}

EXPORT int xenevtchn_close(xenevtchn_handle *xce)
{
    if (!xce)
        return 0;
    close(xce->rfd);
    close(xce->wfd);
    free(xce);
    return 0;
}

EXPORT int xenevtchn_fd(xenevtchn_handle *xce) { return xce->rfd; }

EXPORT int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce; (void)port;
    return 0;
}

EXPORT xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce,
                                                              uint32_t domid)
{
    (void)domid;
    return (xenevtchn_port_or_error_t)xce->next_port++;
}

EXPORT xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce,
                                                             uint32_t domid,
                                                             evtchn_port_t remote_port)
{
    (void)domid; (void)remote_port;
    return (xenevtchn_port_or_error_t)xce->next_port++;
}

EXPORT xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
    (void)virq;
    return (xenevtchn_port_or_error_t)xce->next_port++;
}

EXPORT int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce; (void)port;
    return 0;
}

EXPORT xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    evtchn_port_t port;

    if (read(xce->rfd, &port, sizeof(port)) != sizeof(port)) {
        errno = EAGAIN;
        return -1;
    }
    return (xenevtchn_port_or_error_t)port;
}

EXPORT int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce; (void)port;
    return 0;
}

EXPORT int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
    (void)xce; (void)domid;
    return 0;
}

/* ------------------------------------------------------------------ */
/* libxengnttab: every grant is a fresh zero page                      */

static char fake_gnttab_handle;

EXPORT xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags)
{
    (void)logger; (void)open_flags;
    trace("xengnttab_open");
    return (xengnttab_handle *)&fake_gnttab_handle;
}

EXPORT int xengnttab_close(xengnttab_handle *xgt) { (void)xgt; return 0; }

EXPORT int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
    (void)xgt; (void)nr_grants;
    return 0;
}

EXPORT void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
                                     uint32_t ref, int prot)
{
    void *p;

    (void)xgt; (void)ref;
    trace("xengnttab_map_grant_ref dom%u", domid);
    p = mmap(NULL, 4096, prot ? prot : PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

EXPORT int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
    (void)xgt;
    return munmap(start_address, (size_t)count * 4096);
}

/* ------------------------------------------------------------------ */
/* files: /proc/xen/xsd_{port,kva}, xl.conf, oxenstored's run dir      */

static int memfd_with(const char *name, const void *data, size_t len, size_t size)
{
    int fd = memfd_create(name, MFD_CLOEXEC);

    if (fd < 0)
        return -1;
    if ((len && write(fd, data, len) != (ssize_t)len) ||
        (size && ftruncate(fd, (off_t)size)) || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* -2: not a path we answer */
static int fake_proc_xen(const char *path)
{
    if (!strcmp(path, "/proc/xen/xsd_port"))
        return memfd_with("xsd_port", "1", 1, 0);
    if (!strcmp(path, "/proc/xen/xsd_kva"))
        return memfd_with("xsd_kva", NULL, 0, 4096);
    return -2;
}

static const char *redirect(const char *path, char *buf, size_t size)
{
    static const char *const rundirs[] = { "/var/run/xenstored", "/run/xenstored" };
    const char *conf = getenv("XLREF_XL_CONF");
    const char *rundir = getenv("XLREF_XS_RUNDIR");
    size_t i, n;

    if (!path)
        return path;
    if (conf && !strcmp(path, "/etc/xen/xl.conf"))
        return conf;
    for (i = 0; rundir && i < sizeof(rundirs) / sizeof(rundirs[0]); i++) {
        n = strlen(rundirs[i]);
        if (!strncmp(path, rundirs[i], n) && (path[n] == '/' || !path[n])) {
            snprintf(buf, size, "%s%s", rundir, path + n);
            return buf;
        }
    }
    return path;
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
    static FILE *(*real)(const char *, const char *);
    char buf[4096];

    if (!real)
        real = (FILE *(*)(const char *, const char *))next_symbol("fopen");
    return real(redirect(path, buf, sizeof(buf)), mode);
}

EXPORT FILE *fopen64(const char *path, const char *mode) { return fopen(path, mode); }

static int open_common(const char *sym, const char *path, int flags, mode_t mode)
{
    int (*real)(const char *, int, ...);
    char buf[4096];
    int fd = path ? fake_proc_xen(path) : -2;

    if (fd != -2) {
        trace("open %s", path);
        return fd;
    }
    real = (int (*)(const char *, int, ...))next_symbol(sym);
    return real(redirect(path, buf, sizeof(buf)), flags, mode);
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    return open_common("open", path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    return open_common("open64", path, flags, mode);
}

EXPORT int unlink(const char *path)
{
    int (*real)(const char *) = (int (*)(const char *))next_symbol("unlink");
    char buf[4096];

    return real(redirect(path, buf, sizeof(buf)));
}

EXPORT int mkdir(const char *path, mode_t mode)
{
    int (*real)(const char *, mode_t) = (int (*)(const char *, mode_t))next_symbol("mkdir");
    char buf[4096];

    return real(redirect(path, buf, sizeof(buf)), mode);
}

/* libvirt's libxl driver loads only in a dom0: /proc/xen/capabilities or
 * /dev/xen/xenstored must exist (access()).  XLREF_DOM0=1 makes the latter. */
EXPORT int access(const char *path, int mode)
{
    int (*real)(const char *, int) = (int (*)(const char *, int))next_symbol("access");

    if (getenv("XLREF_DOM0") && !strcmp(path, "/dev/xen/xenstored"))
        return 0;
    return real(path, mode);
}

/* oxenstored binds its sockets to hard-coded paths */
EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    int (*real)(int, const struct sockaddr *, socklen_t) =
        (int (*)(int, const struct sockaddr *, socklen_t))next_symbol("bind");
    const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
    struct sockaddr_un moved;
    char buf[sizeof(moved.sun_path)];
    const char *path;

    if (!addr || addr->sa_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path))
        return real(fd, addr, len);
    path = redirect(un->sun_path, buf, sizeof(buf));
    if (path == un->sun_path)
        return real(fd, addr, len);
    memset(&moved, 0, sizeof(moved));
    moved.sun_family = AF_UNIX;
    snprintf(moved.sun_path, sizeof(moved.sun_path), "%s", path);
    trace("bind %s", moved.sun_path);
    return real(fd, (const struct sockaddr *)&moved, sizeof(moved));
}

/* oxenstored raises RLIMIT_NOFILE to fs.nr_open; unprivileged or in a
 * container that fails, so settle for the hard limit we have. */
EXPORT int setrlimit(__rlimit_resource_t resource, const struct rlimit *rlim)
{
    int (*real)(__rlimit_resource_t, const struct rlimit *) =
        (int (*)(__rlimit_resource_t, const struct rlimit *))next_symbol("setrlimit");
    struct rlimit have, want;

    if (real(resource, rlim) == 0 || errno != EPERM || resource != RLIMIT_NOFILE ||
        getrlimit(resource, &have))
        return real(resource, rlim);
    want.rlim_max = rlim->rlim_max < have.rlim_max ? rlim->rlim_max : have.rlim_max;
    want.rlim_cur = rlim->rlim_cur < want.rlim_max ? rlim->rlim_cur : want.rlim_max;
    trace("setrlimit NOFILE clamped to %lu", (unsigned long)want.rlim_max);
    return real(resource, &want);
}

EXPORT int setrlimit64(__rlimit_resource_t resource, const struct rlimit64 *rlim)
{
    return setrlimit(resource, (const struct rlimit *)rlim);   /* same layout on LP64 */
}
