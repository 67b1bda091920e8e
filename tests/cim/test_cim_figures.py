"""gen.cim.figures on a small synthetic report: grouped bars of binary versus fibbinary."""

import json

from gen.cim.figures import METRICS, binary_vs_fibbinary, configurations


def _rec(enc, ib, wb, zero, fj, cycles, approx=0, weights="encoding"):
    return {"params": {"encoding": enc, "ib": ib, "wb": wb, "approx_bits": approx},
            "input_zero": zero, "weights": weights, "energy_per_mac_fj": fj,
            "tops_per_w": round(2000 / fj, 3), "cycles_per_vector": cycles}


CIM = {"records": [
    _rec("binary", 4, 4, 0.0, 1000.0, 4), _rec("binary", 4, 4, 0.9, 500.0, 4),
    _rec("fibbinary", 4, 4, 0.0, 800.0, 2), _rec("fibbinary", 4, 4, 0.9, 400.0, 2),
    _rec("binary", 4, 4, 0.0, 900.0, 4, weights="fibbinary"),  # not a bar
    _rec("binary", 2, 4, 0.0, 550.0, 2, approx=2),  # no fibbinary twin
]}


def test_configurations_pair_the_encodings():
    configs = configurations(CIM)
    assert [label for label, _ in configs] == [
        "4b x 4b<br>dense", "4b x 4b<br>90 % zero inputs", "2b x 4b, tree -2 bits<br>dense"]
    assert configs[0][1]["binary"]["energy_per_mac_fj"] == 1000.0  # not the codebook point
    assert set(configs[2][1]) == {"binary"}


def test_three_subplots_of_grouped_bars():
    fig = binary_vs_fibbinary(CIM)
    json.dumps(fig)
    assert "template" not in fig["layout"] and fig["layout"]["barmode"] == "group"
    assert len(fig["data"]) == 2 * len(METRICS)
    by = {(t["yaxis"], t["name"]): t["y"] for t in fig["data"]}
    assert by[("y", "binary weights")] == [1000.0, 500.0, 550.0]
    assert by[("y", "fibbinary weights")] == [800.0, 400.0, None]
    assert by[("y2", "fibbinary weights")] == [2.5, 5.0, None]
    assert by[("y3", "binary weights")] == [4, 4, 2]
    assert [fig["layout"][a]["title"]["text"] for a in ("yaxis", "yaxis2", "yaxis3")] == \
        ["fJ/MAC", "TOPS/W", "cycles/vector"]
    assert sum(t["showlegend"] for t in fig["data"]) == 2  # one legend entry per encoding
