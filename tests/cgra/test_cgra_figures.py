"""Figures of the CGRA report section (gen.cgra.figures) on a small synthetic ``cgra`` key."""

import json

from gen.cgra.figures import MUL_COLOUR, MUL_PART, area_by_type, energy_by_part, part_label


def _run(mul, kernel, per_type):
    return {"params": {"fabric": "small", "mul": mul}, "kernel": kernel, "per_type": per_type}


def _cgra():
    return {"runs": [
        _run("", "dot", {"mul (exact)": 1000.0, "lsu": 5000.0, "alu": 300.0}),
        _run("drum", "dot", {"mul (drum)": 400.0, "lsu": 5000.0, "alu": 250.0}),
        _run("", "fir", {"mul (exact)": 2000.0, "lsu": 9000.0, "ID + imem": 7000.0}),
        _run("roup", "fir", {"mul (roup)": 1500.0, "lsu": 9000.0, "ID + imem": 7000.0}),
    ]}


def test_energy_by_part_stacks_one_trace_per_part_grouped_by_kernel():
    fig = energy_by_part(_cgra())
    json.dumps(fig)  # plain JSON types only
    names = [t["name"] for t in fig["data"]]
    # the MUL variants are one part, at the bottom; then the others, largest first
    assert names == [MUL_PART, "LSU (scratchpads)", "ID + imem", "ALU"]
    assert all(t["type"] == "bar" for t in fig["data"])
    by = {t["name"]: t for t in fig["data"]}
    assert by[MUL_PART]["x"] == [["dot", "dot", "fir", "fir"], ["exact", "DRUM", "exact", "ROUP"]]
    assert by[MUL_PART]["y"] == [1.0, 0.4, 2.0, 1.5]  # pJ
    assert by["ALU"]["y"] == [0.3, 0.25, 0.0, 0.0]
    assert by["ID + imem"]["y"] == [0.0, 0.0, 7.0, 7.0]
    # every part its own colour, the MUL tiles' the one of the area figure
    colours = [t["marker"]["color"] for t in fig["data"]]
    assert colours[0] == MUL_COLOUR and len(set(colours)) == len(colours)
    layout = fig["layout"]
    assert layout["barmode"] == "stack"
    assert layout["yaxis"]["title"]["text"] == "energy per run (pJ)"
    assert layout["xaxis"]["title"]["text"] == "kernel, MUL tiles"
    assert energy_by_part(None) is None and energy_by_part({"runs": []}) is None


def test_area_by_type_bars_largest_on_top_with_shares():
    area = {"module": "cgra_default", "area_um2": 1000.0,
            "per_type": {"lsu": 600.0, "mul (drum)": 100.0, "mul (exact)": 250.0, "rf": 50.0}}
    fig = area_by_type(area)
    json.dumps(fig)
    [bar] = fig["data"]
    assert bar["orientation"] == "h"
    # plotly draws the first category at the bottom: smallest first puts the largest on top
    assert bar["y"] == ["rf", "mul (drum)", "mul (exact)", "lsu"]
    assert bar["x"] == [50.0, 100.0, 250.0, 600.0]
    assert bar["text"][-1] == "600 (60.0 %)" and bar["text"][0] == "50 (5.0 %)"
    colours = dict(zip(bar["y"], bar["marker"]["color"], strict=True))
    assert colours["mul (drum)"] == colours["mul (exact)"] == MUL_COLOUR
    assert colours["lsu"] == colours["rf"] != MUL_COLOUR
    assert fig["layout"]["xaxis"]["title"]["text"] == "area (um^2)"
    assert "1,000 um^2" in fig["layout"]["title"]["text"]
    assert area_by_type(None) is None and area_by_type({"per_type": {}}) is None


def test_part_labels_merge_the_multipliers():
    assert {part_label(c) for c in ("mul (exact)", "mul (drum)", "mul (roup)")} == {MUL_PART}
    assert part_label("lsu") == "LSU (scratchpads)" and part_label("data network") == \
        "data network"
