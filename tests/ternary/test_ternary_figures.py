"""gen.ternary.figures on a small synthetic report: traces, values and axes of the energy
versus zero density figure."""

import json

from gen.ternary.figures import X_TITLE, Y_TITLE, energy_vs_density


def _ocu(module, design, density, fj):
    return {"module": module, "design": design, "density": density, "energy_per_mac_fj": fj}


OCU = {"records": [
    _ocu("t_ff", "ternary_ocu", 0.9, 120.0), _ocu("t_ff", "ternary_ocu", 0.0, 230.0),
    _ocu("b_ff", "binary_ocu", None, 110.0), _ocu("t_latch", "ternary_ocu", 0.5, 90.0),
]}
ENGINE = {"sweep": [{"module": "eng", "density": d, "energy_per_mac_fj": fj}
                    for d, fj in ((0.0, 600.0), (0.5, 550.0), (0.8, 450.0))]}


def test_lines_per_module_sorted_by_density_and_binary_levels():
    fig = energy_vs_density(OCU, ENGINE)
    json.dumps(fig)  # plain JSON, no template
    assert "template" not in fig["layout"]
    names = [t["name"] for t in fig["data"]]
    assert names == ["t_ff (ternary OCU)", "t_latch (ternary OCU)",
                     "b_ff (binary OCU, no zeros)", "eng (whole engine)"]
    t_ff, t_latch, binary, eng = fig["data"]
    assert (t_ff["x"], t_ff["y"]) == ([0.0, 0.9], [230.0, 120.0])
    assert (t_latch["x"], t_latch["y"]) == ([0.5], [90.0])
    # the binary unit spans every density shown, at its one value, dashed
    assert (binary["x"], binary["y"], binary["line"]["dash"]) == ([0.0, 0.9], [110.0] * 2,
                                                                  "dash")
    assert (eng["x"], eng["y"]) == ([0.0, 0.5, 0.8], [600.0, 550.0, 450.0])
    assert fig["layout"]["xaxis"]["title"]["text"] == X_TITLE
    assert fig["layout"]["yaxis"]["title"]["text"] == Y_TITLE == "energy per MAC (fJ)"


def test_either_part_alone():
    only_engine = energy_vs_density(None, ENGINE)
    assert [t["name"] for t in only_engine["data"]] == ["eng (whole engine)"]
    only_ocu = energy_vs_density(OCU, {"sweep": []})
    assert len(only_ocu["data"]) == 3
