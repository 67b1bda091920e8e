"""CGRA configuration bitstream: layout, encoder/decoder, scan order, switchbox tracks and the
tracing of slots to FU outputs (crossbar and mesh, both switchboxes)."""

import numpy as np
import pytest

from sim_models.cgra import config as cfg
from sim_models.cgra.fabric import Fabric

SEED = 20261207
N, E, S, W = range(4)


def _mesh(cols, rows, placed, tracks=2, switchbox="wilton"):
    """A mesh fabric; ``placed`` = [(name, type, (x, y))], one ID per FU."""
    fus = [{"name": n, "type": t, "at": list(at)} for n, t, at in placed]
    return Fabric.from_dict({
        "name": "m", "network": {"kind": "mesh", "cols": cols, "rows": rows, "tracks": tracks,
                                 "switchbox": switchbox},
        "fu": fus, "id": [{"name": f"c_{f['name']}", "fus": [f["name"]]} for f in fus]})


def _max_value(f, name):
    """Largest legal value of a field, from docs/cgra.md."""
    kind, *rest = name.split(".")
    if kind == "ctrl":
        return len(f.ids_of_type(f.fu(rest[0]).type)) - 1
    if kind == "in":
        return 2 * len(f.fus) if f.kind == "crossbar" else 4 * f.network["tracks"] + 2
    return 5 if f.fu_at(int(rest[0]), int(rest[1])) is not None else 3


def _check_contiguous(fields):
    assert fields[0].offset == 0
    for a, b in zip(fields, fields[1:], strict=False):
        assert b.offset == a.offset + a.width
    assert all(f.width > 0 for f in fields)
    assert len({f.name for f in fields}) == len(fields)


def test_small_layout():
    f = Fabric.builtin("small")
    fields = cfg.layout(f)
    _check_contiguous(fields)
    # ctrl: 2 IU IDs, 2 LSU IDs -> 1 bit; 3 ALU IDs -> 2 bits; ABU, RF, MUL: one ID -> omitted
    ctrl = [("ctrl.iu0", 1), ("ctrl.iu1", 1), ("ctrl.lsu0", 1), ("ctrl.lsu1", 1),
            ("ctrl.alu0", 2), ("ctrl.alu1", 2), ("ctrl.alu2", 2), ("ctrl.alu3", 2)]
    assert [(x.name, x.width) for x in fields[:8]] == ctrl
    # slots: every FU but the IUs, clog2(2 * 12 + 1) = 5 bits
    users = ["abu0", "lsu0", "lsu1", "rf0", "mul0", "mul1", "alu0", "alu1", "alu2", "alu3"]
    slots = [(f"in.{u}.{i}.{k}", 5) for u in users for i in (0, 1) for k in range(4)]
    assert [(x.name, x.width) for x in fields[8:]] == slots
    assert fields[8].offset == 12
    assert cfg.length(f) == 12 + 10 * 8 * 5 == 412
    assert cfg.slot_width(f) == 5


def test_default_layout():
    f = Fabric.builtin("default")
    fields = cfg.layout(f)
    _check_contiguous(fields)
    widths = {x.name: x.width for x in fields}
    # 2 IU IDs, 3 LSU IDs, 4 MUL IDs, 5 ALU IDs
    assert widths["ctrl.iu0"] == 1 and widths["ctrl.lsu2"] == 2
    assert widths["ctrl.mul7"] == 2 and widths["ctrl.alu5"] == 3
    assert "ctrl.abu0" not in widths and "ctrl.rf0" not in widths
    assert widths["in.alu7.1.3"] == 5  # clog2(4 * 4 + 3)
    sb = [x for x in fields if x.name.startswith("sb.")]
    # 5x5 cells: 2 * 2 * 4 * 5 = 80 sides with a neighbour, 4 tracks each, 3 bits
    assert len(sb) == 320 and all(x.width == 3 for x in sb)
    assert sb[-1].offset + 3 == cfg.length(f)
    ctrl_bits = 2 * 1 + 3 * 2 + 8 * 2 + 8 * 3
    assert cfg.length(f) == ctrl_bits + 21 * 8 * 5 + 320 * 3


def test_mesh_layout_order():
    f = _mesh(2, 2, [("abu0", "abu", (0, 1)), ("a", "alu", (0, 0)), ("i", "iu", (1, 1))])
    fields = cfg.layout(f)
    _check_contiguous(fields)
    slots = [f"in.{u}.{i}.{k}" for u in ("abu0", "a") for i in (0, 1) for k in range(4)]
    sides = [(0, 0, "E"), (0, 0, "S"), (1, 0, "S"), (1, 0, "W"),
             (0, 1, "N"), (0, 1, "E"), (1, 1, "N"), (1, 1, "W")]
    sbs = [f"sb.{x}.{y}.{s}.{t}" for x, y, s in sides for t in (0, 1)]
    assert [x.name for x in fields] == slots + sbs
    # slots: 4*T + 3 = 11 values -> 4 bits; switchboxes 3 bits
    assert [x.width for x in fields] == [4] * 16 + [3] * 16
    assert cfg.length(f) == 16 * 4 + 16 * 3


def test_encode_decode_round_trip():
    rng = np.random.default_rng(SEED)
    for name in ("small", "default"):
        f = Fabric.builtin(name)
        maxima = {x.name: _max_value(f, x.name) for x in cfg.layout(f)}
        for _ in range(5):
            values = {n: int(rng.integers(0, top + 1)) for n, top in maxima.items()}
            bits = cfg.encode(f, values)
            assert 0 <= bits < 1 << cfg.length(f)
            assert cfg.decode(f, bits) == values, f"seed {SEED}, fabric {name}"
            # value LSB at the field's offset
            for x in cfg.layout(f)[:40]:
                assert (bits >> x.offset) & ((1 << x.width) - 1) == values[x.name]


def test_encode_positions_by_hand():
    f = Fabric.builtin("small")
    # in.alu0.0.0: after 12 ctrl bits and 6 FUs (abu0 lsu0 lsu1 rf0 mul0 mul1) of 40 bits
    binding = cfg.encode(f, {})
    assert cfg.encode(f, {"in.alu0.0.0": 7}) == binding | 7 << (12 + 6 * 40)
    # in.abu0.1.2 is the 7th slot field: offset 12 + 6 * 5
    assert cfg.encode(f, {"in.abu0.1.2": 24}) == binding | 24 << 42
    assert cfg.encode(f, {"ctrl.alu1": 2, "ctrl.iu1": 0}) == binding & ~(3 << 6 | 1 << 1) | 2 << 6
    # missing ctrl fields take the fabric's binding: iu1 -> c_iu1 (1), lsu1 -> c_lsu1 (1),
    # alu1 -> c_alu1 (1), alu2 and alu3 -> c_alu23 (2)
    binding = 1 << 1 | 1 << 3 | 1 << 6 | 2 << 8 | 2 << 10
    assert cfg.encode(f, {}) == binding
    assert cfg.encode(f, {"ctrl.alu2": 0}) == binding & ~(3 << 8)
    # a single-ID type has no ctrl field; 0 is accepted for it
    assert cfg.encode(f, {"ctrl.abu0": 0, "ctrl.mul1": 0}) == binding
    assert cfg.decode(f, 0) == {x.name: 0 for x in cfg.layout(f)}


def test_scan_bits():
    f = Fabric.builtin("small")
    zero = {f"ctrl.{u}": 0 for u in ("iu1", "lsu1", "alu1", "alu2", "alu3")}
    bits = cfg.encode(f, {**zero, "ctrl.iu0": 1, "in.alu3.1.3": 0b10011})
    order = cfg.scan_bits(f, bits)
    assert len(order) == 412
    assert order[0] == 1 and sum(order) == 4
    assert order[-5:] == [1, 1, 0, 0, 1]  # LSB first; the last bit shifted is the top one
    assert cfg.scan_bits(f, 0) == [0] * 412
    with pytest.raises(ValueError, match="between 0 and 2\\*\\*412 - 1"):
        cfg.scan_bits(f, 1 << 412)


def test_value_checks():
    f = Fabric.builtin("small")
    with pytest.raises(ValueError, match="Unknown configuration field 'in.iu0.0.0'"):
        cfg.encode(f, {"in.iu0.0.0": 1})  # IUs have no inputs
    with pytest.raises(ValueError, match="Unknown configuration field 'sb.0.0.E.0'"):
        cfg.encode(f, {"sb.0.0.E.0": 1})
    with pytest.raises(ValueError, match="'ctrl.alu0' must be an integer between 0 and 2, not 3"):
        cfg.encode(f, {"ctrl.alu0": 3})
    with pytest.raises(ValueError, match="'ctrl.abu0' must be an integer between 0 and 0"):
        cfg.encode(f, {"ctrl.abu0": 1})
    with pytest.raises(ValueError, match="'in.alu0.0.0' must be an integer between 0 and 24"):
        cfg.encode(f, {"in.alu0.0.0": 25})
    with pytest.raises(TypeError, match="'in.alu0.0.0' must be an integer"):
        cfg.encode(f, {"in.alu0.0.0": "1"})
    m = _mesh(2, 1, [("abu0", "abu", (0, 0))], tracks=1)
    with pytest.raises(ValueError, match="'sb.1.0.W.0' must be an integer between 0 and 3"):
        cfg.encode(m, {"sb.1.0.W.0": 4})  # the cell is empty
    assert cfg.encode(m, {"sb.0.0.E.0": 5}) != 0
    with pytest.raises(ValueError, match="'sb.0.0.E.0' must be an integer between 0 and 5"):
        cfg.encode(m, {"sb.0.0.E.0": 6})
    with pytest.raises(ValueError, match="'in.abu0.0.0' must be an integer between 0 and 6"):
        cfg.encode(m, {"in.abu0.0.0": 7})
    with pytest.raises(ValueError, match="Configuration bits must be"):
        cfg.decode(f, -1)


def test_tin():
    for t in range(4):
        for a in range(4):
            for b in range(4):
                if a != b:
                    assert cfg.tin("disjoint", a, b, t, 4) == t
        assert cfg.tin("wilton", W, E, t, 4) == t  # straight
        assert cfg.tin("wilton", N, S, t, 4) == t
        assert cfg.tin("wilton", W, N, t, 4) == (t + 1) % 4  # (N - W) % 4 == 1
        assert cfg.tin("wilton", S, W, t, 4) == (t + 1) % 4  # (W - S) % 4 == 1
        assert cfg.tin("wilton", W, S, t, 4) == 3 - t  # (S - W) % 4 == 3
        assert cfg.tin("wilton", "E", "S", t, 4) == (t + 1) % 4
    for tracks in range(1, 9):
        for a in range(4):
            for b in range(4):
                if a != b:
                    perm = sorted(cfg.tin("wilton", a, b, t, tracks) for t in range(tracks))
                    assert perm == list(range(tracks))
    with pytest.raises(ValueError, match="In side and out side must differ, both are E"):
        cfg.tin("wilton", E, "E", 0, 2)
    with pytest.raises(ValueError, match="Track must be an integer between 0 and 1"):
        cfg.tin("wilton", N, S, 2, 2)
    with pytest.raises(ValueError, match="Switchbox must be"):
        cfg.tin("universal", N, S, 0, 2)
    with pytest.raises(ValueError, match="In side must be 0..3 or one of N, E, S, W"):
        cfg.tin("disjoint", "X", S, 0, 2)


def test_neighbour():
    f = _mesh(3, 2, [("abu0", "abu", (0, 0))])
    assert cfg.neighbour(f, 1, 0, N) is None
    assert cfg.neighbour(f, 1, 0, E) == (2, 0)
    assert cfg.neighbour(f, 1, 0, S) == (1, 1)
    assert cfg.neighbour(f, 1, 0, W) == (0, 0)
    assert cfg.neighbour(f, 2, 1, E) is None and cfg.neighbour(f, 2, 1, S) is None


def test_crossbar_sources():
    f = Fabric.builtin("small")
    values = {"in.alu0.0.0": 1 + 2 * 1 + 0,  # iu0.out0
              "in.alu0.1.3": 1 + 2 * 11 + 1,  # alu3.out1
              "in.abu0.0.1": 1 + 2 * 0 + 1,  # abu0.out1 (its own link)
              "in.mul1.1.0": 1 + 2 * 8 + 0}  # alu0.out0
    src = cfg.sources(f, values)
    assert len(src) == 10 * 2 * 4
    assert src[("alu0", 0, 0)] == ("iu0", 0)
    assert src[("alu0", 1, 3)] == ("alu3", 1)
    assert src[("abu0", 0, 1)] == ("abu0", 1)
    assert src[("mul1", 1, 0)] == ("alu0", 0)
    assert src[("alu0", 0, 1)] is None
    assert sum(v is not None for v in src.values()) == 4
    assert cfg.sources(f, cfg.decode(f, cfg.encode(f, values))) == src


def test_mesh_own_output_and_edges():
    f = _mesh(2, 1, [("abu0", "abu", (0, 0)), ("a", "alu", (1, 0))], tracks=3)
    # own outputs: 4*T + 1 + p
    src = cfg.sources(f, {"in.a.0.0": 13, "in.a.1.2": 14, "in.a.0.1": 1 + 3 * N + 0,
                          "in.a.0.2": 1 + 3 * W + 2})
    assert src[("a", 0, 0)] == ("a", 0) and src[("a", 1, 2)] == ("a", 1)
    assert src[("a", 0, 1)] is None  # no cell to the north
    assert src[("a", 0, 2)] is None  # the western cell's wire is undriven


@pytest.mark.parametrize("switchbox", ["wilton", "disjoint"])
@pytest.mark.parametrize("track", [0, 1])
def test_mesh_straight_two_hops(switchbox, track):
    # a (0,0) -> through the ABU's cell (1,0) -> b (2,0), eastwards on one track
    f = _mesh(3, 1, [("a", "alu", (0, 0)), ("abu0", "abu", (1, 0)), ("b", "alu", (2, 0))],
              tracks=2, switchbox=switchbox)
    t = track
    values = {
        f"sb.0.0.E.{t}": 5,  # a.out1 onto its east side
        f"sb.1.0.E.{t}": 2,  # from side (E + 2) % 4 = W, straight: same track
        "in.b.1.3": 1 + 2 * W + t,  # b reads its west side, track t
        "in.b.0.0": 1 + 2 * W + (1 - t),  # the other track carries nothing
    }
    src = cfg.sources(f, values)
    assert src[("b", 1, 3)] == ("a", 1)
    assert src[("b", 0, 0)] is None
    # the middle switchbox taking the wrong input (from N, off the mesh) breaks the route
    values[f"sb.1.0.E.{t}"] = 3  # from (E + 3) % 4 = N
    assert cfg.sources(f, values)[("b", 1, 3)] is None


@pytest.mark.parametrize("t0", range(4))
def test_mesh_turn_wilton_changes_track(t0):
    # a (0,0) --E--> empty cell (1,0), turn south --> b (1,1)
    placed = [("a", "alu", (0, 0)), ("abu0", "abu", (0, 1)), ("b", "alu", (1, 1))]
    wil = _mesh(2, 2, placed, tracks=4, switchbox="wilton")
    dis = _mesh(2, 2, placed, tracks=4, switchbox="disjoint")
    # out S from in W: (S - W) % 4 == 3 -> tin = T - 1 - t, so the net leaves on 3 - t0
    t_out = 3 - t0
    values = {f"sb.0.0.E.{t0}": 4,
              f"sb.1.0.S.{t_out}": 1,  # from side (S + 1) % 4 = W
              "in.b.0.0": 1 + 4 * N + t_out,
              "in.b.0.1": 1 + 4 * N + t0}
    src = cfg.sources(wil, values)
    assert src[("b", 0, 0)] == ("a", 0)
    if t_out != t0:
        assert src[("b", 0, 1)] is None
    # disjoint keeps the track: the same settings only connect when t_out == t0 (never: T even)
    src = cfg.sources(dis, values)
    assert src[("b", 0, 0)] is None
    values_dis = {f"sb.0.0.E.{t0}": 4, f"sb.1.0.S.{t0}": 1, "in.b.0.0": 1 + 4 * N + t0}
    assert cfg.sources(dis, values_dis)[("b", 0, 0)] == ("a", 0)


@pytest.mark.parametrize("t0", range(3))
def test_mesh_left_turn_wilton(t0):
    # a (0,1) --E--> empty (1,1), turn north --> b (1,0): (N - W) % 4 == 1 -> tin = (t + 1) % T
    placed = [("a", "alu", (0, 1)), ("abu0", "abu", (0, 0)), ("b", "alu", (1, 0))]
    f = _mesh(2, 2, placed, tracks=3, switchbox="wilton")
    t_out = (t0 - 1) % 3
    values = {f"sb.0.1.E.{t0}": 5,
              f"sb.1.1.N.{t_out}": 3,  # from side (N + 3) % 4 = W
              "in.b.1.2": 1 + 3 * S + t_out}
    assert cfg.sources(f, values)[("b", 1, 2)] == ("a", 1)
    values[f"sb.1.1.N.{t_out}"] = 0
    assert cfg.sources(f, values)[("b", 1, 2)] is None


def test_mesh_two_turns_and_three_hops():
    # a (0,0) -> E (1,0) -> E (2,0) turn S -> (2,1) turn W -> b (1,1), wilton, T = 2
    placed = [("a", "alu", (0, 0)), ("abu0", "abu", (0, 1)), ("b", "mul", (1, 1))]
    f = _mesh(3, 2, placed, tracks=2, switchbox="wilton")
    t1 = 0  # leaves a on track 0
    t2 = t1  # straight through (1,0)
    t3 = 1 - t2  # (2,0): out S from in W: (S - W) % 4 == 3 -> tin = T-1-t -> out track 1
    t4 = 1 - t3  # (2,1): out W from in N: (W - N) % 4 == 3 -> tin = T-1-t
    values = {f"sb.0.0.E.{t1}": 4, f"sb.1.0.E.{t2}": 2, f"sb.2.0.S.{t3}": 1,
              f"sb.2.1.W.{t4}": 1,  # from side (W + 1) % 4 = N
              "in.b.0.0": 1 + 2 * E + t4}
    assert cfg.sources(f, values)[("b", 0, 0)] == ("a", 0)


def test_mesh_loop_reads_none():
    # a ring of four switchboxes around the 2x2 mesh, all right turns, disjoint, track 0
    placed = [("a", "alu", (0, 0)), ("abu0", "abu", (1, 1))]
    f = _mesh(2, 2, placed, tracks=1, switchbox="disjoint")
    values = {"sb.0.0.E.0": 1,  # from S
              "sb.1.0.S.0": 1,  # from W
              "sb.1.1.W.0": 1,  # from N
              "sb.0.1.N.0": 1,  # from E
              "in.a.0.0": 1 + 1 * S + 0,  # a reads the ring (its south side)
              "in.abu0.0.0": 1 + 1 * N + 0}
    src = cfg.sources(f, values)
    assert src[("a", 0, 0)] is None
    assert src[("abu0", 0, 0)] is None
    # breaking the ring at (1,1): the ABU's own output then drives the wires downstream
    values["sb.1.1.W.0"] = 4  # abu0.out0 drives (1,1)'s west side
    src = cfg.sources(f, values)
    assert src[("a", 0, 0)] == ("abu0", 0)
    assert src[("abu0", 0, 0)] == ("abu0", 0)
