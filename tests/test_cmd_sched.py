"""``sched-credit`` / ``sched-credit2`` wiring: xl 4.17's option rules, output and exit
codes (tools/xl/xl_sched.c main_sched_credit / main_sched_credit2), over a fake
backend.  The real hypervisor (credit2 in the lane) is tests/e2e/test_e2e_runtime.py;
libxl's JSON for these structs is checked against the real libxenlight in
tests/test_backend_libxl.py."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping

import pytest

from xl_py.backends.base import BackendBase, CpupoolInfo, DomainInfo, SchedParams
from xl_py.backends.xenstore import XenstoreBackend
from xl_py.cli.commands import sched_credit
from xl_py.cli.commands._runtime import HelpShown
from xl_py.cli.context import Context
from xl_py.cli.table import lookup
from xl_py.errors import OperationError, UsageError


class FakeSched(BackendBase):
    """Pool 0 (credit2) holds dom0 and g1; pool 1 "fast" (credit) holds g2."""

    name = "fake"

    def __init__(self) -> None:
        self.domains = (DomainInfo(0, "Domain-0"), DomainInfo(3, "g1"),
                        DomainInfo(7, "g2", cpupool=1))
        self.params = {0: SchedParams("credit2", 256, 0), 3: SchedParams("credit2", 512, 0),
                       7: SchedParams("credit", 256, 50)}
        self.pool = {0: {"ratelimit_us": 1000},
                     1: {"tslice_ms": 30, "ratelimit_us": 1000, "vcpu_migr_delay_us": 0}}
        self.calls: list[tuple[object, ...]] = []

    def list_domains(self) -> tuple[DomainInfo, ...]:
        return self.domains

    def cpupools(self) -> tuple[CpupoolInfo, ...]:
        return (CpupoolInfo(0, "Pool-0", "credit2"), CpupoolInfo(1, "fast", "credit"))

    def domain_sched_params(self, domid: int) -> SchedParams:
        return self.params[domid]

    def set_domain_sched_params(self, domid: int, params: SchedParams) -> None:
        self.calls.append(("set", domid, params))

    def pool_sched_params(self, poolid: int, sched: str) -> dict[str, int]:
        if sched != ("credit2" if poolid == 0 else "credit"):
            raise OperationError(f"libxl_sched_{sched}_params_get failed.")
        return dict(self.pool[poolid])

    def set_pool_sched_params(self, poolid: int, sched: str, values: Mapping[str, int]) -> None:
        self.calls.append(("pool", poolid, sched, dict(values)))


def run(command: str, argv: list[str], be: BackendBase) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(command=lookup(command), stderr=err, stdout=out)
    object.__setattr__(ctx, "_backend", be)
    return sched_credit.run(ctx, argv), out.getvalue(), err.getvalue()


def test_listing_goes_pool_by_pool_for_the_scheduler() -> None:
    rc, out, err = run("sched-credit2", [], FakeSched())
    assert (rc, err) == (0, "")
    assert out.splitlines() == [
        "Cpupool Pool-0: ratelimit=1000us",
        "Name                                ID Weight  Cap",
        "Domain-0                             0    256    0",
        "g1                                   3    512    0"]
    rc, out, _ = run("sched-credit", [], FakeSched())
    assert out.splitlines() == [
        "Cpupool fast: tslice=30ms ratelimit=1000us migration-delay=0us",
        "Name                                ID Weight  Cap",
        "g2                                   7    256   50"]


def test_p_restricts_to_one_pool_by_name_or_id() -> None:
    assert run("sched-credit2", ["-p", "fast"], FakeSched())[1] == ""  # a credit pool
    assert run("sched-credit", ["-p", "1"], FakeSched())[1].startswith("Cpupool fast:")
    with pytest.raises(OperationError, match=r"^unknown cpupool 'slow'$"):
        run("sched-credit", ["-p", "slow"], FakeSched())


def test_a_domain_of_another_scheduler_is_xls_error() -> None:
    rc, out, _ = run("sched-credit2", ["-d", "g1"], FakeSched())
    assert (rc, out) == (0, "Name                                ID Weight  Cap\n"
                            "g1                                   3    512    0\n")
    out_buf = io.StringIO()
    ctx = Context(command=lookup("sched-credit"), stderr=io.StringIO(), stdout=out_buf)
    object.__setattr__(ctx, "_backend", FakeSched())
    with pytest.raises(OperationError) as exc:
        sched_credit.run(ctx, ["-d", "g1"])
    assert str(exc.value) == "libxl_domain_sched_params_get returned credit2 not credit."
    assert out_buf.getvalue() == "Name                                ID Weight  Cap\n"


def test_a_failing_row_stops_the_listing_with_status_0() -> None:
    be = FakeSched()
    be.params[3] = SchedParams("rtds")
    rc, out, err = run("sched-credit2", [], be)
    assert rc == 0
    assert out.splitlines()[-1] == "Domain-0                             0    256    0"
    assert err == "error: libxl_domain_sched_params_get returned rtds not credit2.\n"


def test_setting_weight_and_cap_names_the_scheduler() -> None:
    be = FakeSched()
    assert run("sched-credit2", ["-d", "g1", "-w", "768"], be)[0] == 0
    assert run("sched-credit", ["--domain=g2", "--cap=20"], be)[0] == 0
    assert be.calls == [("set", 3, SchedParams("credit2", 768, -1)),
                        ("set", 7, SchedParams("credit", -1, 20))]


def test_schedparam_shows_and_sets_the_pool() -> None:
    be = FakeSched()
    assert run("sched-credit2", ["-s"], be)[1] == "Cpupool Pool-0: ratelimit=1000us\n"
    assert run("sched-credit", ["-s"], be)[1] == "Cpupool Pool-0: [sched params unavailable]\n"
    assert run("sched-credit", ["-s", "-p", "fast", "-t", "10", "-m", "100"], be)[0] == 0
    assert run("sched-credit2", ["-s", "-r", "500"], be)[0] == 0
    assert be.calls == [("pool", 1, "credit", {"tslice_ms": 10, "vcpu_migr_delay_us": 100}),
                        ("pool", 0, "credit2", {"ratelimit_us": 500})]
    data = json.loads(run("sched-credit", ["-s", "-p", "fast", "--json"], be)[1])
    assert data == {"cpupool": "fast", "tslice_ms": 30, "ratelimit_us": 1000,
                    "vcpu_migr_delay_us": 0}


@pytest.mark.parametrize(("command", "argv", "message"), [
    ("sched-credit", ["-w", "5"], "Must specify a domain."),
    ("sched-credit2", ["-c", "5"], "Must specify a domain."),
    ("sched-credit", ["-s", "-d", "g1"],
     "Specifying a cpupool or schedparam is not allowed with domain options."),
    ("sched-credit", ["-p", "Pool-0", "-w", "3"],
     "Specifying a cpupool or schedparam is not allowed with domain options."),
    ("sched-credit2", ["-p", "Pool-0", "-d", "g1"],
     "Specifying a cpupool is not allowed with other options."),
    ("sched-credit", ["-t", "10"], "Must specify schedparam to set schedule parameter values."),
])
def test_xls_option_rules(command: str, argv: list[str], message: str) -> None:
    be = FakeSched()
    with pytest.raises(OperationError) as exc:
        run(command, argv, be)
    assert str(exc.value) == message
    assert be.calls == []


def test_numbers_are_checked_and_extra_arguments_refused() -> None:
    with pytest.raises(UsageError) as exc:
        run("sched-credit", ["-d", "g1", "-w", "heavy"], FakeSched())
    assert str(exc.value) == "weight must be an integer, not 'heavy'"
    with pytest.raises(UsageError, match=r"^'xl sched-credit' takes 0 arguments\."):
        run("sched-credit", ["g1"], FakeSched())
    with pytest.raises(HelpShown):
        run("sched-credit2", ["-h"], FakeSched())


class CreditOnly(BackendBase):
    """A backend without cpupools that cannot name the scheduler (libvirt's)."""

    name = "old"

    def list_domains(self) -> tuple[DomainInfo, ...]:
        return (DomainInfo(2, "web"),)

    def domain_sched_params(self, domid: int) -> SchedParams:
        return SchedParams("", 256, 0)

    def set_domain_sched_params(self, domid: int, params: SchedParams) -> None:
        self.set = (domid, params.weight, params.cap)


def test_a_backend_without_cpupools_lists_one_table() -> None:
    be = CreditOnly()
    assert run("sched-credit", [], be)[1].splitlines() == [
        "Name                                ID Weight  Cap",
        "web                                  2    256    0"]
    assert run("sched-credit", ["-d", "web", "-w", "300"], be)[0] == 0
    assert be.set == (2, 300, -1)


def test_xenstore_alone_says_it_cannot(tmp_path: object) -> None:
    be = XenstoreBackend.__new__(XenstoreBackend)
    object.__setattr__(be, "list_domains", lambda: (DomainInfo(2, "web"),))
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(command=lookup("sched-credit"), stderr=err, stdout=out)
    object.__setattr__(ctx, "_backend", be)
    with pytest.raises(Exception) as exc:
        sched_credit.run(ctx, [])
    assert str(exc.value) == ("the xenstore backend cannot read scheduler parameters (that "
                              "needs the hypervisor: use the libxl backend or a libvirt URI)")
    assert out.getvalue() == ""


def test_list_c_names_each_domains_cpupool() -> None:
    """xl list -c: the pool's name (libxl_cpupoolid_to_name), not always Pool-0."""
    from xl_py.cli.commands import list as list_cmd

    out = io.StringIO()
    ctx = Context(command=lookup("list"), stderr=io.StringIO(), stdout=out)
    object.__setattr__(ctx, "_backend", FakeSched())
    assert list_cmd.run(ctx, ["-c"]) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("Time(s)         Cpupool")
    assert [ln[-16:] for ln in lines[1:]] == [f"{'Pool-0':>16}", f"{'Pool-0':>16}",
                                              f"{'fast':>16}"]
