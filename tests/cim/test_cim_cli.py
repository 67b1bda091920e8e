"""``edgeforge`` on the CIM macro: deterministic Verilog, one-line errors with exit code 2."""

import json

import pytest

from gen.cim.family import FAMILY
from gen.cli import main
from gen.flow.record import EnergyRecord


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_isscc_like_macro_generates_deterministically(capsys, tmp_path):
    texts = []
    for sub in ("a", "b"):
        code, out, _ = run(capsys, "verilog", "cim_macro", "-p", "rows=64", "-p", "wb=4",
                           "-p", "ib=4", "-p", "encoding=fibbinary", "-o", str(tmp_path / sub))
        assert code == 0
        v = tmp_path / sub / "cim_r64_c4_w4_i4_uu_fib_lsb.v"
        texts.append(v.read_bytes())
        assert b"module cim_r64_c4_w4_i4_uu_fib_lsb" in texts[-1]
        assert str(tmp_path).encode() not in texts[-1]
    assert texts[0] == texts[1]


@pytest.mark.parametrize("argv,message", [
    (["verilog", "cim_macro", "-p", "wb=9"],
     "Weight bits must be an integer between 1 and 8, not 9"),
    (["verilog", "cim_macro", "-p", "encoding=gray"],
     "Parameter encoding must be one of 'binary', 'fibbinary', not 'gray'"),
    (["verilog", "cim_macro", "-p", "approx_bits=4"],
     "Approx bits must be an integer between 0 and 3 (wb - 1), not 4"),
    (["energy", "cim_macro", "--kernel", "dot"], "--kernel is for cgra, not cim_macro"),
    (["energy", "cim_macro", "--density", "0.5"],
     "--density is for ternary_ocu and ternary_engine, not cim_macro"),
    (["energy", "cim_macro", "--input-zero", "-0.1"],
     "argument --input-zero: must be a finite number from 0 to 1, not -0.1"),
    (["energy", "exact", "--input-zero", "0.5"], "--input-zero is for cim_macro, not exact"),
    (["energy", "cim_macro", "--vectors", "4"],
     "argument --vectors: must be an integer between 8 and 4096, not 4"),
    (["energy", "cim_macro", "--cim-weights", "gauss"],
     "argument --cim-weights: invalid choice: 'gauss'"),
])
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, argv, message):
    code, out, err = run(capsys, *argv, *(["-o", str(tmp_path / "v")]
                                          if argv[0] == "verilog" else []))
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "v").exists()


def test_energy_through_the_family_hooks(capsys, monkeypatch, tmp_path):
    # gate-level (not marked rtl: see tests/cim/test_macro_energy.py)
    monkeypatch.chdir(tmp_path)
    argv = ["energy", "cim_macro", "-p", "rows=4", "-p", "cols=2", "--vectors", "8",
            "--input-zero", "0.5", "--cim-weights", "fibbinary"]
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 0
    d = json.loads(out)
    assert (d["module"], d["vectors"], d["input_zero"], d["weights"], d["checked_results"]) == \
        ("cim_r4_c2_w4_i4_uu_bin_lsb", 8, 0.5, "fibbinary", 10)
    assert "design" not in d and d["energy_per_mac_fj"] > 0
    code, out, _ = run(capsys, *argv)  # cached: the same record as text
    assert code == 0
    assert out.rstrip("\n") == FAMILY.energy_text(EnergyRecord.from_dict(d))
