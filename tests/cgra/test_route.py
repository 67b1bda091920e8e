"""Mesh router (sim_models/cgra/route.py): routes checked by tracing them with config.sources."""

from __future__ import annotations

import numpy as np
import pytest

from sim_models.cgra import config
from sim_models.cgra.asm import AsmError, assemble
from sim_models.cgra.fabric import Fabric
from sim_models.cgra.programs import KERNELS, kernel
from sim_models.cgra.route import RouteError, route

DEFAULT = Fabric.builtin("default")


def mesh(switchbox: str, tracks: int = 4) -> Fabric:
    d = DEFAULT.to_dict()
    d["name"] = f"default_{switchbox}_{tracks}"
    d["network"] = dict(d["network"], switchbox=switchbox, tracks=tracks)
    return Fabric.from_dict(d)


def line(cols: int, tracks: int, switchbox: str = "disjoint", rows: int = 1) -> Fabric:
    """A cols x rows mesh of ALUs a0, a1, ... (row-major) plus the ABU in the last cell."""
    n = cols * rows - 1
    return Fabric.from_dict({
        "name": "line", "width": 32, "imem_depth": 16,
        "network": {"kind": "mesh", "cols": cols, "rows": rows, "tracks": tracks,
                    "switchbox": switchbox},
        "fu": [{"name": f"a{i}", "type": "alu"} for i in range(n)]
        + [{"name": "abu0", "type": "abu"}],
        "id": [{"name": f"c_a{i}", "fus": [f"a{i}"]} for i in range(n)]
        + [{"name": "c_abu", "fus": ["abu0"]}],
    })


def check_traced(fabric, nets, values):
    traced = config.sources(fabric, values)
    for net, sinks in nets.items():
        for sink in sinks:
            assert traced[sink] == net, f"{sink} traces to {traced[sink]}, not {net}"
    driven = {s for sinks in nets.values() for s in sinks}
    assert all(src is None for slot, src in traced.items() if slot not in driven)


def random_nets(fabric, rng, count, fanout):
    outs = [(fu.name, p) for fu in fabric.fus for p in (0, 1)]
    slots = [(fu.name, i, k) for fu in fabric.fus if fu.type != "iu" for i in (0, 1)
             for k in range(4)]
    srcs = rng.choice(len(outs), size=count, replace=False)
    picks = rng.choice(len(slots), size=count * fanout, replace=False)
    nets = {}
    for n, s in enumerate(srcs):
        nets[outs[s]] = [slots[j] for j in picks[n * fanout:(n + 1) * fanout]]
    return nets


@pytest.mark.parametrize("switchbox", ["wilton", "disjoint"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_nets_trace_back_to_their_sources(switchbox, seed):
    fabric = mesh(switchbox)
    nets = random_nets(fabric, np.random.default_rng(seed), count=8, fanout=3)
    values = route(fabric, nets)
    assert set(values) >= {f.name for f in config.layout(fabric) if f.name.startswith("sb.")}
    check_traced(fabric, nets, values)


@pytest.mark.parametrize("name", KERNELS)
def test_kernel_configurations_on_default_trace_to_their_slots(name):
    prog = kernel(name).assemble(DEFAULT)
    traced = config.sources(DEFAULT, config.decode(DEFAULT, prog.config))
    for (fu, i), srcs in prog.slots.items():
        for k, src in enumerate(srcs):
            assert traced[(fu, i, k)] == src


def test_disjoint_switchbox_keeps_a_net_on_one_track():
    fabric = line(3, tracks=3, rows=3)  # a0..a7 on a 3x3 grid, abu0 at (2, 2)
    nets = {("a4", 1): [("a0", 0, 0), ("a2", 1, 3), ("a6", 0, 1), ("a7", 1, 0)]}
    values = route(fabric, nets)
    check_traced(fabric, nets, values)
    tracks = {name.split(".")[-1] for name, v in values.items() if name.startswith("sb.") and v}
    assert len(tracks) == 1


def test_wilton_switchbox_changes_track_at_a_turn():
    fabric = line(2, tracks=2, switchbox="wilton", rows=2)  # a0 (0,0) a1 (1,0) a2 (0,1)
    nets = {("a0", 0): [("a1", 0, 0), ("a2", 0, 0)], ("a1", 1): [("a2", 1, 0)]}
    values = route(fabric, nets)
    check_traced(fabric, nets, values)
    used = {name for name, v in values.items() if name.startswith("sb.") and v}
    assert len(used) == 4  # a0 -> E, a0 -> S, and a1 -> a2 around a corner (2 wires)


def test_shortest_paths_and_a_net_reuses_its_own_wires():
    fabric = line(5, tracks=1)
    one = {("a0", 0): [("a3", 0, 0)]}
    values = route(fabric, one)
    check_traced(fabric, one, values)
    assert sum(1 for n, v in values.items() if n.startswith("sb.") and v) == 3
    fan = {("a0", 0): [("a1", 0, 0), ("a2", 1, 2), ("a3", 0, 1), ("abu0", 0, 3)]}
    values = route(fabric, fan)
    check_traced(fabric, fan, values)
    assert sum(1 for n, v in values.items() if n.startswith("sb.") and v) == 4


def test_a_sink_in_the_source_cell_reads_the_own_output():
    fabric = line(3, tracks=2)
    nets = {("a1", 1): [("a1", 0, 2)]}
    values = route(fabric, nets)
    assert values["in.a1.0.2"] == 4 * 2 + 1 + 1
    assert not any(v for n, v in values.items() if n.startswith("sb."))
    check_traced(fabric, nets, values)


def test_oversubscribed_wires_raise_route_error_naming_the_net():
    fabric = line(4, tracks=1)  # a0 a1 a2 abu0 in a row: one wire eastwards per cell edge
    nets = {("a0", 0): [("abu0", 0, 0)], ("a1", 0): [("abu0", 0, 1)]}
    with pytest.raises(RouteError) as info:
        route(fabric, nets)
    net = info.value.net
    assert net in nets and info.value.sink in nets[net]
    assert f"cannot route net {net[0]}.out{net[1]} to abu0.in0" in str(info.value)
    # the same through the assembler: an error at the net's first use
    text = ".columns c_abu\n  setl a0.out0\n  setl a1.out0\n"
    with pytest.raises(AsmError, match="cannot route net") as info:
        assemble(text, fabric, "r.pasm")
    assert (info.value.line, info.value.col) == ((2, 8) if info.value.message.startswith(
        "cannot route net a0") else (3, 8))


def test_two_tracks_resolve_the_same_demand():
    fabric = line(4, tracks=2)
    nets = {("a0", 0): [("abu0", 0, 0)], ("a1", 0): [("abu0", 0, 1)]}
    check_traced(fabric, nets, route(fabric, nets))


def test_invalid_arguments():
    with pytest.raises(ValueError, match="route needs a mesh fabric"):
        route(Fabric.builtin("small"), {})
    with pytest.raises(TypeError, match="Fabric must be a Fabric"):
        route("default", {})
    with pytest.raises(ValueError, match="Net sink must be"):
        route(DEFAULT, {("alu0", 0): [("iu0", 0, 0)]})
    with pytest.raises(ValueError, match="Net source must be"):
        route(DEFAULT, {("alu0", 2): [("alu1", 0, 0)]})
    with pytest.raises(ValueError, match="driven by two nets"):
        route(DEFAULT, {("alu0", 0): [("alu1", 0, 0)], ("alu2", 0): [("alu1", 0, 0)]})
