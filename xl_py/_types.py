"""Plain value types shared by every layer (no xl_py imports).

Host facts enter the pure core only through :class:`HostInfo`: the core never
probes /proc, libxl or xenstore itself (DESIGN.md habit 4).
"""

from __future__ import annotations

from xl_py._record import Record


class HostInfo(Record):
    """What xl's config parse asks the host (libxl_get_physinfo and friends).

    The defaults describe the reference harness's stand-in host (2 CPUs on one
    NUMA node), so dry runs compare like with like.
    """

    nr_cpus: int = 2
    max_cpus: int = 2
    nr_nodes: int = 1
    max_nodes: int = 1
    # cpu index -> NUMA node; empty means "every cpu on node 0"
    cpu_to_node: tuple[int, ...] = ()
    total_memkb: int = 4 * 1024 * 1024
    free_memkb: int = 4 * 1024 * 1024
    arch: str = "x86_64"  # os.uname()[4], used by legacy xm idioms
    hvm_capable: bool = True

    def node_of_cpu(self, cpu: int) -> int:
        if cpu < len(self.cpu_to_node):
            return self.cpu_to_node[cpu]
        return 0

    def cpus_of_node(self, node: int) -> tuple[int, ...]:
        return tuple(c for c in range(self.max_cpus) if self.node_of_cpu(c) == node)
