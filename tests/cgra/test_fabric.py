"""CGRA fabric descriptions: built-ins, normalisation, round trips and validation messages."""

import copy
import json

import pytest

from sim_models.cgra.fabric import BUILTINS, FU_TYPES, MUL_KINDS, Fabric


def _tiny(**top):
    """A minimal valid description (crossbar): one ABU, one IU, one ALU."""
    d = {
        "name": "tiny",
        "fu": [{"name": "abu0", "type": "abu"}, {"name": "iu0", "type": "iu"},
               {"name": "alu0", "type": "alu"}],
        "id": [{"name": "c_abu", "fus": ["abu0"]}, {"name": "c_iu", "fus": ["iu0"]},
               {"name": "c_alu", "fus": ["alu0"]}],
    }
    d.update(top)
    return d


def _mesh(cols, rows, fus_at, **net):
    """A mesh description with an ABU and the given (name, type, at) FUs, one ID each."""
    fus = [{"name": n, "type": t, **({"at": list(a)} if a is not None else {})}
           for n, t, a in fus_at]
    return {"name": "m", "network": {"kind": "mesh", "cols": cols, "rows": rows, **net},
            "fu": fus, "id": [{"name": f"c_{f['name']}", "fus": [f["name"]]} for f in fus]}


def test_constants():
    assert FU_TYPES == ("alu", "mul", "lsu", "rf", "iu", "abu")
    assert MUL_KINDS == ("exact", "drum", "roup")
    assert BUILTINS == ("default", "small")


def test_small_builtin():
    f = Fabric.builtin("small")
    assert (f.name, f.width, f.imem_depth, f.pc_bits) == ("small", 32, 64, 6)
    assert f.network == {"kind": "crossbar"}
    names = ["abu0", "iu0", "iu1", "lsu0", "lsu1", "rf0", "mul0", "mul1",
             "alu0", "alu1", "alu2", "alu3"]
    types = ["abu", "iu", "iu", "lsu", "lsu", "rf", "mul", "mul", "alu", "alu", "alu", "alu"]
    assert [u.name for u in f.fus] == names
    assert [u.type for u in f.fus] == types
    assert [u.index for u in f.fus] == list(range(12))
    assert all(u.at is None for u in f.fus)
    assert f.fu("lsu0").params == {"mem_bytes": 256}
    assert f.fu("lsu1").params == {"mem_bytes": 256}
    assert f.fu("mul0").params == {"kind": "exact"}
    assert f.fu("alu0").params == {}
    ids = [(d.name, d.type, d.fus) for d in f.ids]
    assert ids == [
        ("c_abu", "abu", ("abu0",)), ("c_iu0", "iu", ("iu0",)), ("c_iu1", "iu", ("iu1",)),
        ("c_lsu0", "lsu", ("lsu0",)), ("c_lsu1", "lsu", ("lsu1",)), ("c_rf", "rf", ("rf0",)),
        ("c_mul01", "mul", ("mul0", "mul1")), ("c_alu0", "alu", ("alu0",)),
        ("c_alu1", "alu", ("alu1",)), ("c_alu23", "alu", ("alu2", "alu3")),
    ]
    assert [d.index for d in f.ids] == list(range(10))


def test_default_builtin():
    f = Fabric.builtin("default")
    small = Fabric.builtin("small")
    assert (f.name, f.width, f.imem_depth) == ("default", 32, 64)
    assert f.network == {"kind": "mesh", "cols": 5, "rows": 5, "tracks": 4,
                         "switchbox": "wilton"}
    extra = ["lsu2", "mul2", "mul3", "mul4", "mul5", "mul6", "mul7",
             "alu4", "alu5", "alu6", "alu7"]
    assert [u.name for u in f.fus] == [u.name for u in small.fus] + extra
    assert [d.name for d in f.ids] == [d.name for d in small.ids] + [
        "c_lsu2", "c_mul23", "c_mul45", "c_mul67", "c_alu45", "c_alu67"]
    for d in small.ids:
        assert f.id(d.name).fus == d.fus
    assert f.id("c_mul45").fus == ("mul4", "mul5")
    assert f.id("c_alu67").fus == ("alu6", "alu7")
    for i in range(4):
        assert f.fu(f"mul{i}").params == {"kind": "exact"}
    for i in (4, 5):
        assert f.fu(f"mul{i}").params == {"kind": "drum", "k": 6}
    for i in (6, 7):
        assert f.fu(f"mul{i}").params == {"kind": "roup", "p": 1, "r": 2}
    for i in range(3):
        assert f.fu(f"lsu{i}").params == {"mem_bytes": 4096}
    counts = {t: len(f.fus_of_type(t)) for t in FU_TYPES}
    assert counts == {"alu": 8, "mul": 8, "lsu": 3, "rf": 1, "iu": 2, "abu": 1}


def test_default_placement():
    f = Fabric.builtin("default")
    cells = [u.at for u in f.fus]
    assert len(set(cells)) == len(cells)
    assert all(0 <= x < 5 and 0 <= y < 5 for x, y in cells)
    for i in range(8):
        (mx, my), (ax, ay) = f.cell_of(f"mul{i}"), f.cell_of(f"alu{i}")
        assert abs(mx - ax) + abs(my - ay) == 1, f"mul{i} is not next to alu{i}"
    for name in ("iu0", "iu1", "lsu0", "lsu1", "lsu2", "rf0"):
        x, y = f.cell_of(name)
        assert 1 <= x <= 3 and 1 <= y <= 3, f"{name} at {(x, y)} is not central"
    assert f.fu_at(*f.cell_of("rf0")).name == "rf0"


@pytest.mark.parametrize("name", BUILTINS)
def test_round_trip(name):
    f = Fabric.builtin(name)
    d = f.to_dict()
    assert json.loads(json.dumps(d)) == d
    g = Fabric.from_dict(d)
    assert g == f and hash(g) == hash(f)
    assert g.to_dict() == d
    d["fu"][1]["name"] = "iu9"
    d["id"][1]["fus"] = ["iu9"]
    assert Fabric.from_dict(d) != f
    # to_dict hands out a copy
    f.to_dict()["name"] = "other"
    assert f.name == name and f.to_dict()["name"] == name


def test_defaults_filled():
    f = Fabric.from_dict({
        "name": "d",
        "fu": [{"name": "abu0", "type": "abu"}, {"name": "m", "type": "mul"},
               {"name": "d1", "type": "mul", "kind": "drum"},
               {"name": "r1", "type": "mul", "kind": "roup"}, {"name": "l", "type": "lsu"}],
        "id": [{"name": "a", "fus": ["abu0"]}, {"name": "b", "fus": ["m", "d1", "r1"]},
               {"name": "c", "fus": ["l"]}],
    })
    d = f.to_dict()
    assert (d["width"], d["imem_depth"], d["network"]) == (32, 64, {"kind": "crossbar"})
    assert d["fu"][1] == {"name": "m", "type": "mul", "kind": "exact"}
    assert d["fu"][2] == {"name": "d1", "type": "mul", "kind": "drum", "k": 6}
    assert d["fu"][3] == {"name": "r1", "type": "mul", "kind": "roup", "p": 1, "r": 2}
    assert d["fu"][4] == {"name": "l", "type": "lsu", "mem_bytes": 4096}
    assert d["id"][1] == {"name": "b", "fus": ["m", "d1", "r1"]}


def test_mesh_defaults_and_row_major_placement():
    # 5 FUs: cols = 3 (smallest c with c*c >= 5), rows = 2; row-major in listing order
    d = _mesh(None, None, [("abu0", "abu", None), ("a", "alu", None), ("b", "alu", None),
                           ("c", "alu", None), ("e", "alu", None)])
    d["network"] = {"kind": "mesh"}
    f = Fabric.from_dict(d)
    assert f.network == {"kind": "mesh", "cols": 3, "rows": 2, "tracks": 2,
                         "switchbox": "wilton"}
    assert [u.at for u in f.fus] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1)]
    assert f.to_dict()["fu"][4]["at"] == [1, 1]
    assert f.fu_at(2, 1) is None
    # explicit positions are kept; the others fill the free cells row-major
    f = Fabric.from_dict(_mesh(2, 2, [("abu0", "abu", None), ("a", "alu", (0, 0)),
                                      ("b", "alu", None)]))
    assert [u.at for u in f.fus] == [(1, 0), (0, 0), (0, 1)]


def test_queries():
    f = Fabric.builtin("small")
    assert f.fu_index("alu2") == 10
    assert f.id_of("alu3").name == "c_alu23"
    assert [d.name for d in f.ids_of_type("alu")] == ["c_alu0", "c_alu1", "c_alu23"]
    assert [d.name for d in f.ids_of_type("abu")] == ["c_abu"]
    assert f.cell_of("alu0") is None
    with pytest.raises(KeyError, match="No FU 'nope'"):
        f.fu("nope")
    with pytest.raises(KeyError, match="No ID 'nope'"):
        f.id("nope")


def test_with_mul():
    f = Fabric.builtin("default")
    g = f.with_mul("drum", k=5)
    assert g.name == "default_drum_k5"
    assert all(u.params == {"kind": "drum", "k": 5} for u in g.fus_of_type("mul"))
    assert [u.at for u in g.fus] == [u.at for u in f.fus]
    h = Fabric.builtin("small").with_mul("roup")
    assert h.name == "small_roup_p1_r2"
    assert all(u.params == {"kind": "roup", "p": 1, "r": 2} for u in h.fus_of_type("mul"))
    e = f.with_mul("exact")
    assert e.name == "default_exact"
    assert all(u.params == {"kind": "exact"} for u in e.fus_of_type("mul"))
    with pytest.raises(ValueError, match="MUL kind must be"):
        f.with_mul("booth")
    with pytest.raises(ValueError, match="DRUM k must be an integer between 3 and 31"):
        f.with_mul("drum", k=40)


def _bad(d, exc, match):
    with pytest.raises(exc, match=match):
        Fabric.from_dict(d)


@pytest.mark.parametrize("width", [12, 0, 64, 7])
def test_bad_width(width):
    _bad(_tiny(width=width), ValueError, rf"^Data width must be 8, 16 or 32, not {width}$")


def test_bad_width_type():
    _bad(_tiny(width="32"), TypeError, "Data width must be 8, 16 or 32, not '32'")
    _bad(_tiny(width=True), TypeError, "Data width must be 8, 16 or 32")


@pytest.mark.parametrize("depth", [2, 100, 2048, 0])
def test_bad_imem_depth(depth):
    _bad(_tiny(imem_depth=depth), ValueError,
         r"imem_depth\) must be a power of two between 4 and 1024")


def test_unknown_keys_and_types():
    _bad(_tiny(colour="red"), ValueError, "Fabric: unknown key 'colour'")
    d = _tiny()
    d["fu"][2]["type"] = "fpu"
    _bad(d, ValueError, r"FU 'alu0': type must be 'alu' or 'mul' or 'lsu' or 'rf' or 'iu' or "
                        r"'abu', not 'fpu'")
    d = _tiny()
    d["fu"][2]["mem_bytes"] = 64
    _bad(d, ValueError, "FU 'alu0': unknown key 'mem_bytes'")
    d = _tiny()
    d["id"][0]["lanes"] = 2
    _bad(d, ValueError, "ID 'c_abu': unknown key 'lanes'")
    _bad(_tiny(network={"kind": "ring"}), ValueError, "Network kind must be")
    _bad(_tiny(network={"kind": "crossbar", "tracks": 2}), ValueError,
         r"Network \(crossbar\): unknown key 'tracks'")
    _bad(_tiny(fu=[]), ValueError, "no FUs")
    _bad({"fu": []}, ValueError, "missing key 'name'")


def test_bad_names():
    d = _tiny()
    d["fu"][2]["name"] = "2alu"
    _bad(d, ValueError, "FU name must be an identifier")
    d = _tiny()
    d["id"][2]["name"] = "c-alu"
    _bad(d, ValueError, "ID name must be an identifier")
    _bad(_tiny(name="two words"), ValueError, "Fabric name must be")


def test_duplicate_names():
    d = _tiny()
    d["fu"][2]["name"] = "iu0"
    _bad(d, ValueError, r"Duplicate name 'iu0' \(names must be unique across FUs and IDs\)")
    d = _tiny()
    d["id"][2]["name"] = "alu0"  # an ID may not take an FU's name either
    _bad(d, ValueError, "Duplicate name 'alu0'")


def test_fu_on_no_id_or_two():
    d = _tiny()
    d["id"].pop()
    _bad(d, ValueError, r"^FU 'alu0' is not on any ID$")
    d = _tiny()
    d["id"].append({"name": "c_alu_b", "fus": ["alu0"]})
    _bad(d, ValueError, r"^FU 'alu0' is on two IDs: 'c_alu' and 'c_alu_b'$")
    d = _tiny()
    d["id"][2]["fus"] = ["alu0", "alu0"]
    _bad(d, ValueError, "FU 'alu0' is listed twice on ID 'c_alu'")
    d = _tiny()
    d["id"][2]["fus"] = ["alu9"]
    _bad(d, ValueError, "ID 'c_alu': unknown FU 'alu9'")
    d = _tiny()
    d["id"][2]["fus"] = []
    _bad(d, ValueError, "ID 'c_alu' drives no FU")


def test_mixed_type_id():
    d = _tiny()
    d["id"] = [{"name": "c_abu", "fus": ["abu0"]}, {"name": "c_x", "fus": ["alu0", "iu0"]}]
    _bad(d, ValueError, r"ID 'c_x' mixes FU types: 'alu0' is 'alu' but 'iu0' is 'iu'")
    d["id"] = [{"name": "c_x", "fus": ["abu0", "alu0"]}, {"name": "c_iu", "fus": ["iu0"]}]
    _bad(d, ValueError, "ID 'c_x' mixes FU types")


def test_abu_count():
    d = _tiny()
    d["fu"].append({"name": "abu1", "type": "abu"})
    d["id"].append({"name": "c_abu1", "fus": ["abu1"]})
    _bad(d, ValueError, r"exactly one FU of type 'abu', found 2 \(abu0, abu1\)")
    d = _tiny()
    del d["fu"][0]
    del d["id"][0]
    _bad(d, ValueError, "exactly one FU of type 'abu', found 0")


@pytest.mark.parametrize("mem", [100, 8, 131072, 0])
def test_bad_mem_bytes(mem):
    d = _tiny()
    d["fu"].append({"name": "lsu0", "type": "lsu", "mem_bytes": mem})
    d["id"].append({"name": "c_lsu", "fus": ["lsu0"]})
    _bad(d, ValueError, rf"FU 'lsu0': mem_bytes must be a power of two between 16 and 65536, "
                        rf"not {mem}")
    d["fu"][-1]["mem_bytes"] = "4096"
    _bad(d, TypeError, "mem_bytes must be a power of two")


def test_bad_mul_params():
    d = _tiny(width=16)
    d["fu"].append({"name": "m", "type": "mul", "kind": "drum", "k": 16})
    d["id"].append({"name": "c_m", "fus": ["m"]})
    _bad(d, ValueError, r"FU 'm': DRUM k must be an integer between 3 and 15 \(width - 1\)")
    d["fu"][-1] = {"name": "m", "type": "mul", "kind": "roup", "p": 8}
    _bad(d, ValueError, r"FU 'm': ROUP p must be an integer between 0 and 7")
    d["fu"][-1] = {"name": "m", "type": "mul", "kind": "roup", "r": 15}
    _bad(d, ValueError, r"FU 'm': ROUP r must be an integer between 0 and 14")
    d["fu"][-1] = {"name": "m", "type": "mul", "kind": "drum", "p": 1}
    _bad(d, ValueError, "parameter 'p' does not apply to a MUL of kind 'drum'")
    d["fu"][-1] = {"name": "m", "type": "mul", "k": 6}
    _bad(d, ValueError, "parameter 'k' does not apply to a MUL of kind 'exact'")
    d["fu"][-1] = {"name": "m", "type": "mul", "kind": "wallace"}
    _bad(d, ValueError, "FU 'm': MUL kind must be")


def test_bad_mesh_sizes():
    fus = [("abu0", "abu", None), ("a", "alu", None), ("b", "alu", None)]
    _bad(_mesh(0, 2, fus), ValueError, "Mesh cols must be an integer between 1 and 16, not 0")
    _bad(_mesh(2, 17, fus), ValueError, "Mesh rows must be an integer between 1 and 16, not 17")
    _bad(_mesh(2, 2, fus, tracks=9), ValueError,
         "Mesh tracks must be an integer between 1 and 8, not 9")
    _bad(_mesh(2, 2, fus, tracks=0), ValueError, "Mesh tracks must be an integer")
    _bad(_mesh(2, 2, fus, switchbox="universal"), ValueError, "Mesh switchbox must be")
    _bad(_mesh(1, 2, fus), ValueError, r"A 1x2 mesh has 2 cells but the fabric has 3 FUs")
    _bad(_mesh("2", 2, fus), TypeError, "Mesh cols must be an integer")


def test_bad_mesh_positions():
    def fus(a_at, b_at):
        return [("abu0", "abu", None), ("a", "alu", a_at), ("b", "alu", b_at)]

    _bad(_mesh(2, 2, fus((2, 0), None)), ValueError,
         r"FU 'a': at must be \[x, y\] with 0 <= x < 2 and 0 <= y < 2, not \[2, 0\]")
    _bad(_mesh(2, 2, fus((0, -1), None)), ValueError, "FU 'a': at must be")
    _bad(_mesh(2, 2, fus((1, 1), (1, 1))), ValueError,
         r"FU 'a' and FU 'b' are both at \[1, 1\]")
    d = _mesh(2, 2, fus((0, 0), None))
    d["fu"][1]["at"] = [0, 0, 0]
    _bad(d, TypeError, "FU 'a': at must be")
    d["fu"][1]["at"] = "00"
    _bad(d, TypeError, "FU 'a': at must be")
    d = _tiny()
    d["fu"][2]["at"] = [0, 0]
    _bad(d, ValueError, "FU 'alu0': 'at' is only valid on a mesh network")


def test_from_dict_does_not_modify_input():
    d = _mesh(2, 2, [("abu0", "abu", None), ("a", "alu", None)])
    before = copy.deepcopy(d)
    Fabric.from_dict(d)
    assert d == before


def test_with_mul_rejects_unknown_parameters():
    with pytest.raises(ValueError, match="with_mul: unknown MUL parameter 'q'"):
        Fabric.builtin("small").with_mul("drum", q=1)
    with pytest.raises(ValueError, match="does not apply to a MUL of kind 'drum'"):
        Fabric.builtin("small").with_mul("drum", p=1)


# -- size bounds (elaboration and synthesis time grow with the FU count)


def _alus(n, **top):
    """A fabric of an ABU and ``n - 1`` ALUs, one ID each."""
    fus = [{"name": "abu0", "type": "abu"}] + [{"name": f"alu{i}", "type": "alu"}
                                               for i in range(n - 1)]
    ids = [{"name": f"c_{f['name']}", "fus": [f["name"]]} for f in fus]
    return {"name": "big", "fu": fus, "id": ids, **top}


def test_fu_count_bound():
    from sim_models.cgra.fabric import MAX_CROSSBAR_FUS, MAX_FUS, MAX_MESH_CELLS

    assert (MAX_FUS, MAX_CROSSBAR_FUS, MAX_MESH_CELLS) == (64, 32, 64)
    assert len(Fabric.from_dict(_alus(MAX_CROSSBAR_FUS)).fus) == MAX_CROSSBAR_FUS
    _bad(_alus(MAX_CROSSBAR_FUS + 1), ValueError,
         r"^A crossbar fabric has at most 32 FUs \(its size grows with the square of the "
         r"count\), this one 33; use a mesh network for more$")
    mesh = {"kind": "mesh", "cols": 8, "rows": 8}
    assert len(Fabric.from_dict(_alus(MAX_FUS, network=mesh)).fus) == MAX_FUS
    _bad(_alus(MAX_FUS + 1, network=mesh), ValueError,
         r"^Fabric has 65 FUs; the limit is 64 \(1\.\.64\)$")
    _bad(_alus(300), ValueError, r"^Fabric has 300 FUs; the limit is 64")
    _bad(_alus(4, network={"kind": "mesh", "cols": 16, "rows": 16}), ValueError,
         r"^A 16x16 mesh has 256 cells; the limit is 64 cells \(cols \* rows\)$")
    d = _tiny()
    d["id"] = d["id"] + [{"name": f"x{i}", "fus": []} for i in range(70)]
    _bad(d, ValueError, r"^Fabric has 73 IDs; the limit is 64 \(1\.\.64, no more than FUs\)$")


def test_builtin_and_example_fabrics_are_within_the_bounds():
    from sim_models.cgra.fabric_file import load

    for name in ("small", "default"):
        assert len(Fabric.builtin(name).fus) <= 32
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "sim_models/cgra/fabrics/small_mesh.toml"
    assert load(example).fus
