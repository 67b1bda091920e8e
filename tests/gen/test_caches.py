"""Caches, build stamps and results are written atomically and trusted only when whole.

A damaged cache entry (truncated by a crash or a full disk, garbled, of another format) is
recomputed, never trusted or fatal; a write interrupted at the last moment (``os.replace``
raising ``KeyboardInterrupt``) leaves neither a temporary file nor a partial entry; a build
stamp is written only after its build has completed. Nothing here simulates or synthesises.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from gen.approx import report
from gen.eda import files
from gen.flow import bench
from gen.flow.cache import Cache
from gen.flow.family import instantiate
from gen.flow.record import EnergyRecord
from gen.ternary import digits
from gen.ternary.engine import NetworkEnergyResult
from verif import sim as vsim


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_atomic_write_interrupted_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "entry.json"
    files.atomic_write(path, "old")
    monkeypatch.setattr(os, "replace", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        files.atomic_write(path, "new")
    assert _names(tmp_path) == ["entry.json"]
    assert path.read_text() == "old"


def test_stamp_current(tmp_path):
    stamp = tmp_path / "build.stamp"
    assert not files.stamp_current(stamp, "abc")
    files.atomic_write(stamp, "abc")
    assert files.stamp_current(stamp, "abc")
    assert not files.stamp_current(stamp, "def")
    assert not stamp.exists()  # a stale stamp goes before the rebuild


# -- report: the error-metrics cache ----------------------------------------------------------

def test_error_cache_damaged_entry_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "CACHE", tmp_path)
    inst = instantiate("drum", {"width": 8, "k": 4})
    first = report.error_record(inst)
    (entry,) = tmp_path.iterdir()
    text = entry.read_text()
    for damaged in (text[: len(text) // 2], "\x00garbage", json.dumps({"width": 8}), "[1, 2]"):
        entry.write_text(damaged)
        assert report.error_record(inst) == first
        assert json.loads(entry.read_text()) == first
    assert _names(tmp_path) == [entry.name]


def test_error_cache_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "CACHE", tmp_path / "errors")
    monkeypatch.setattr(os, "replace", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        report.error_record(instantiate("drum", {"width": 8, "k": 4}))
    assert _names(tmp_path / "errors") == []


# -- the gate-level result cache of the OCU, CIM and CGRA energy flows --------------------------

@dataclass
class _Result:
    x: int
    cached: bool = False


def test_gate_level_cache_damaged_entry_is_ignored(tmp_path):
    """The flow's one cache (gen.flow.cache), as the ternary engine's runs read it."""
    cache = Cache(tmp_path / "cache")
    path = cache.path("key")
    options = type("Options", (), {"cache": cache, "liberty": type("L", (), {"path": "x.lib"})})()
    gl = type("GateLevel", (), {"synth": type("S", (), {"liberty": "x"})})()

    def cached(cls):
        return bench.cached(gl, "key", options, lambda d: cls(**{k: d[k] for k in ("x",)}
                                                               if cls is _Result else d))

    cache.store("key", {"x": 1})
    assert cached(_Result) == _Result(1)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    assert cached(_Result) is None
    assert not path.exists()
    cache.store("key", {"x": 1, "unknown_field": 2})  # an entry of another format
    assert cached(NetworkEnergyResult) is None
    assert not path.exists()
    cache.store("key", {"x": 1})
    assert bench.cached(gl, "key", options, EnergyRecord.from_dict) is None
    assert not path.exists()


def test_gate_level_cache_interrupted_store_leaves_no_temp(tmp_path, monkeypatch):
    cache = Cache(tmp_path)
    path = cache.path("key")
    cache.store("key", {"x": 1})
    monkeypatch.setattr(os, "replace", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        cache.store("key", {"x": 2})
    assert _names(tmp_path) == ["key.json"]
    assert json.loads(path.read_text()) == {"x": 1}


# -- build stamps --------------------------------------------------------------------------

class _Runner:
    def __init__(self, fail: bool):
        self.fail, self.builds = fail, 0

    def build(self, **kwargs):
        self.builds += 1
        if self.fail:
            raise subprocess.CalledProcessError(1, "build")


def test_failed_build_leaves_no_stamp(tmp_path, monkeypatch):
    """The one stamped build (verif.sim.build) that the gate-level bench builds with; the bench
    turns its RuntimeError into an EnergyError."""
    import cocotb_tools.runner

    src = tmp_path / "a.v"
    src.write_text("module a; endmodule\n")
    build_dir = tmp_path / "build"
    runner = _Runner(fail=False)
    monkeypatch.setattr(cocotb_tools.runner, "get_runner", lambda sim: runner)
    vsim.build([src], "a", build_dir, "icarus")
    vsim.build([src], "a", build_dir, "icarus")
    assert runner.builds == 1 and (build_dir / "build.stamp").is_file()
    # the sources change and that build fails: the old stamp must not survive it, or the same
    # sources as before would later be taken as built
    old = src.read_text()
    src.write_text("module b; endmodule\n")
    runner.fail = True
    with pytest.raises(RuntimeError):
        vsim.build([src], "a", build_dir, "icarus")
    assert not (build_dir / "build.stamp").exists()
    src.write_text(old)
    runner.fail = False
    vsim.build([src], "a", build_dir, "icarus")
    assert runner.builds == 3 and (build_dir / "build.stamp").is_file()


# -- the digits network cache ----------------------------------------------------------------

def _digits_result(seed: int) -> digits.DigitsResult:
    return digits.DigitsResult(
        seed=seed, float_accuracy=0.9, ternary_accuracy=0.8, training_accuracy=0.85,
        fake_quant_agreement=1.0, layers=(), test_images=np.zeros((2, 8, 8, 1), np.int8),
        test_labels=np.arange(2), test_predictions=np.arange(2), n_train=10,
        train_seconds=1.0, code_version=digits.code_version())


def test_digits_cache_roundtrip_and_damaged_entry_retrains(tmp_path, monkeypatch):
    path = digits.cache_path(7, tmp_path)
    digits._save(_digits_result(7), path)
    trained = []
    monkeypatch.setattr(digits, "_train",
                        lambda seed, p, progress: trained.append(p) or "trained")
    loaded = digits.train(seed=7, cache_dir=tmp_path)
    assert loaded.cached and loaded.float_accuracy == 0.9 and not trained
    np.testing.assert_array_equal(loaded.test_predictions, np.arange(2))
    data = path.read_bytes()
    for damaged in (data[: len(data) // 2], data[:100], b"garbage", b""):
        path.write_bytes(damaged)
        assert digits.train(seed=7, cache_dir=tmp_path) == "trained"
    assert trained == [path] * 4


def test_digits_cache_interrupted_save_leaves_nothing(tmp_path, monkeypatch):
    path = digits.cache_path(7, tmp_path)
    monkeypatch.setattr(os, "replace", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        digits._save(_digits_result(7), path)
    assert _names(tmp_path) == []


# -- generated Verilog -------------------------------------------------------------------------

def test_verilog_write_interrupted_keeps_old_file(tmp_path, monkeypatch):
    from gen.flow import ip as verilog

    path = tmp_path / "m.v"
    verilog._write(path, "module m; endmodule\n")
    monkeypatch.setattr(os, "replace", _interrupt)
    verilog._write(path, "module m; endmodule\n")  # unchanged: nothing written
    with pytest.raises(KeyboardInterrupt):
        verilog._write(path, "module n; endmodule\n")
    assert _names(tmp_path) == ["m.v"]
    assert path.read_text() == "module m; endmodule\n"
