"""The ``edgeforge`` command line: outputs, and one clear line with exit code 2 for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gen.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_design_with_ranges_and_defaults(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    for text in ("exact", "drum", "roup", "3..width-1", "'ones'|'twos'", "0..2"):
        assert text in out
    code, out, _ = run(capsys, "list", "--json")
    data = json.loads(out)
    assert {p["name"] for p in data["drum"]["params"]} == {"width", "k", "signed", "sign_mode",
                                                           "latency"}
    assert [p["default"] for p in data["drum"]["params"]][:2] == [16, 6]


BAD = [
    (["verilog", "nosuch"],
     "Unknown design 'nosuch'; valid: binary_ocu, cgra, cim_macro, drum, exact, roup, "
     "ternary_engine, ternary_ocu"),
    (["errors", "ternary_ocu"], "Design ternary_ocu is not a multiplier; "),
    (["verify", "binary_ocu"], "Design binary_ocu is not a multiplier; "),
    (["verilog", "drum", "-p", "q=1"],
     "Design drum has no parameter 'q'; valid: width, k, signed, sign_mode, latency"),
    (["verilog", "drum", "-p", "width"], "Parameter 'width' must be NAME=VALUE"),
    (["verilog", "drum", "-p", "width=abc"],
     "Parameter width must be an integer (4..64), not 'abc'"),
    (["verilog", "drum", "-p", "signed=maybe"], "Parameter signed must be true or false"),
    (["verilog", "drum", "-p", "k=4", "-p", "k=5"], "Parameter k given twice"),
    (["verilog", "drum", "-p", "k=16"],
     "K must be an integer between 3 and 15 (width - 1), not 16"),
    (["verilog", "drum", "-p", "width=65"], "Width must be an integer between 4 and 64, not 65"),
    (["verilog", "roup", "-p", "p=8"],
     "P must be an integer between 0 and 7 (ceil(width / 2) - 1), not 8"),
    (["verilog", "exact", "-p", "arch=wallace"],
     "Parameter arch must be one of 'array', 'booth', not 'wallace'"),
    (["verilog", "exact", "-p", "latency=3"], "Latency must be an integer between 0 and 2, not 3"),
    (["verilog", "drum", "-p", "signed=1", "-p", "sign_mode=sm"],
     "Parameter sign_mode must be one of 'ones', 'twos', not 'sm'"),
    (["verilog"], "give a design name or --all"),
    (["errors"], "give a design name or --lut FILE"),
    (["errors", "drum", "--samples", "0"],
     "argument --samples: must be an integer between 1 and 1000000000, not 0"),
    (["errors", "--lut", "nonexistent.npy", "--width", "8"],
     "--lut file nonexistent.npy does not exist"),
    (["errors", "--lut", "x.npy"], "--lut needs --width N"),
    (["verify", "drum", "-p", "width=8", "-p", "k=4", "--a", "300", "--b", "1"],
     "Operand a must lie in [0, 255], not 300"),
    (["verify", "exact", "--sim", "modelsim"],
     "SIM must be 'icarus' or 'verilator', not 'modelsim'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize("argv,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(capsys, tmp_path, monkeypatch, argv,
                                                         message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and err.startswith("edgeforge: error: ")
    assert list(tmp_path.iterdir()) == [], "bad input must not write anything"


def test_bad_lut_files_are_rejected_with_the_reason(capsys, tmp_path):
    wrong_shape = tmp_path / "shape.npy"
    np.save(wrong_shape, np.zeros((256, 255), dtype=np.int64))
    code, _, err = run(capsys, "errors", "--lut", str(wrong_shape), "--width", "8")
    assert code == 2 and "(256, 256)" in err and "(256, 255)" in err
    not_npy = tmp_path / "text.npy"
    not_npy.write_text("hello")
    code, _, err = run(capsys, "errors", "--lut", str(not_npy), "--width", "8")
    assert code == 2 and f"--lut file {not_npy} is not a .npy array file: it holds text" in err
    floats = tmp_path / "float.npy"
    np.save(floats, np.zeros((16, 16)))
    code, _, err = run(capsys, "errors", "--lut", str(floats), "--width", "4")
    assert code == 2 and "integer" in err


def test_missing_simulator_is_a_clear_error(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no iverilog, vvp or verilator here
    code, _, err = run(capsys, "verify", "exact", "--sim", "icarus")
    assert code == 2
    assert "Simulator 'icarus' not found: install Icarus Verilog" in err
    assert list(tmp_path.iterdir()) == []


def test_errors_json_has_every_key_with_units(capsys):
    code, out, _ = run(capsys, "errors", "drum", "-p", "width=8", "-p", "k=4", "--json")
    assert code == 0
    d = json.loads(out)
    keys = {"ep_pct", "med", "nmed", "mred_pct", "mean_error", "mean_re_pct", "sd_re_pct", "wce",
            "wcre_pct", "mse", "mae_pct", "wce_pct", "mre_pct", "width", "signed", "sign_mode",
            "exhaustive", "samples", "seed"}
    assert keys <= set(d)
    assert d["exhaustive"] is True and d["samples"] == 1 << 16 and d["width"] == 8
    code, out, _ = run(capsys, "errors", "drum", "-p", "width=16", "--samples", "1000",
                       "--seed", "7", "--json")
    d = json.loads(out)
    assert (d["exhaustive"], d["samples"], d["seed"]) == (False, 1000, 7)


def test_lut_of_an_exact_multiplier_has_zero_error(capsys, tmp_path):
    a = np.arange(16)
    lut = tmp_path / "exact4.npy"
    np.save(lut, np.outer(a, a).astype(np.int64))
    code, out, _ = run(capsys, "errors", "--lut", str(lut), "--width", "4", "--json")
    d = json.loads(out)
    assert code == 0 and d["ep_pct"] == 0 and d["wce"] == 0 and d["samples"] == 256


def test_console_script_prints_no_traceback():
    exe = Path(sys.executable).with_name("edgeforge")
    r = subprocess.run([str(exe), "verilog", "drum", "-p", "k=99"], capture_output=True,
                       text=True, cwd=ROOT, env={**os.environ})
    assert r.returncode == 2
    assert r.stderr == "edgeforge: error: K must be an integer between 3 and 15 (width - 1), " \
                       "not 99\n"
    assert "Traceback" not in r.stderr
