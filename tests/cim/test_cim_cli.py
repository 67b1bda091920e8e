"""``edgeforge`` on the CIM macro: deterministic Verilog, one-line errors with exit code 2."""

import pytest

from gen.cli import main


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
    (["energy", "cim_macro", "--density", "0.5"],
     "cim_macro takes --input-zero and --vectors"),
    (["energy", "cim_macro", "--input-zero", "-0.1"],
     "argument --input-zero: must be a finite number from 0 to 1, not -0.1"),
    (["energy", "exact", "--input-zero", "0.5"],
     "--input-zero, --vectors and --cim-weights are for cim_macro, not exact"),
])
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, argv, message):
    code, out, err = run(capsys, *argv, *(["-o", str(tmp_path / "v")]
                                          if argv[0] == "verilog" else []))
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "v").exists()
