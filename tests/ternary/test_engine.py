"""Tests of gen.ternary.engine: gate-level energy of the ternary engine (sparsity sweep, a network
per image), on a tiny engine (n_i = n_o = 4, k = 3, lines of 6 pixels)."""

import argparse
from types import SimpleNamespace

import numpy as np
import pytest

from gen.eda import activity, power
from gen.flow.bench import BenchOptions, EnergyError, GateLevel
from gen.flow.family import instantiate
from gen.ternary.cli import engine_energy_text
from gen.ternary.engine import engine_energy, network_energy, network_layers
from gen.ternary.family import FAMILY
from sim_models.ternary import TernaryLayer, TernaryNetwork

SEED = 20261124
TINY = {"n_i": 4, "n_o": 4, "k": 3, "image_width": 6, "latency": 1}


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    """Build and result-cache directories private to this module (synthesis stays cached)."""
    root = tmp_path_factory.mktemp("engine_energy")
    return {"build_root": root / "build", "cache_dir": root / "cache"}


@pytest.fixture(scope="module")
def sweep(dirs):
    """The tiny engine at zero densities 0 and 0.9 (two frames each)."""
    print(f"seed {SEED}")
    inst = instantiate("ternary_engine", TINY)
    return {d: engine_energy(inst, density=d, frames=2, seed=SEED, **dirs) for d in (0.0, 0.9)}


def test_energy_is_positive_and_checked(sweep):
    for d, r in sweep.items():
        assert r.energy_per_mac_fj > 0 and np.isfinite(r.energy_per_mac_fj), d
        # 2 frames of 6x6, SAME, no pooling: one window per output pixel, all checked
        assert r.windows == r.output_pixels == r.checked_pixels == 2 * 6 * 6
        assert r.macs == r.windows * 3 * 3 * 4 * 4
        assert r.energy_per_op_fj == pytest.approx(r.energy_per_mac_fj / 2, rel=1e-6)
        assert r.energy_per_pixel_fj == pytest.approx(r.energy_per_mac_fj * 144, rel=1e-5)
        # the parts add up to the whole (fJ per MAC)
        assert sum(r.parts.values()) == pytest.approx(r.energy_per_mac_fj, rel=1e-4)
        assert set(r.parts) >= {"OCUs", "line buffer", "weight memory, fetch, control"}
        # the fetch is measured apart: ch_out * k * k words, about one per cycle
        assert r.fetch_fj > 0
        assert 36 <= r.fetch_cycles <= 40
        # the frames stream about one pixel per cycle (plus the SAME extension steps)
        assert r.windows <= r.cycles <= 2 * r.windows
        assert r.area["total_um2"] == pytest.approx(sum(r.area["parts"].values()), rel=1e-3)
        assert r.area["weight_memory_bits"] == 36 * 8


def test_zeros_silence_the_engine(sweep):
    dense, sparse = sweep[0.0], sweep[0.9]
    print(f"fJ/MAC at 0 %: {dense.energy_per_mac_fj:.1f}, at 90 %: {sparse.energy_per_mac_fj:.1f}")
    assert dense.measured_zero_fraction["activations"] == 0.0
    assert sparse.measured_zero_fraction["activations"] > 0.8
    assert sparse.energy_per_mac_fj < dense.energy_per_mac_fj
    assert sparse.parts["OCUs"] < dense.parts["OCUs"]


def test_cached_result_is_the_same(sweep, dirs):
    inst = instantiate("ternary_engine", TINY)
    again = engine_energy(inst, density=0.9, frames=2, seed=SEED, **dirs)
    assert again.cached
    assert again.energy_per_mac_fj == sweep[0.9].energy_per_mac_fj


def test_network_per_image(dirs):
    """A two-layer network (SAME 1 -> 4 with thresholds; VALID 4 -> 3 with sum pooling and raw
    sums) on two images through the gate-level engine, chained."""
    print(f"seed {SEED}")
    rng = np.random.default_rng(SEED)
    inst = instantiate("ternary_engine", {**TINY, "weight_layers": 2})
    w0 = rng.integers(-1, 2, size=(4, 3, 3, 1))
    w1 = rng.integers(-1, 2, size=(3, 3, 3, 4))
    layers = [TernaryLayer(w0, [-1] * 4, [1] * 4),
              TernaryLayer(w1, padding="valid", pooling="sum")]
    images = rng.integers(-1, 2, size=(2, 6, 6, 1))
    labels = [0, 1]
    r = network_energy(inst, layers, images, labels=labels, tag="tiny", **dirs)
    assert r.images == 2
    assert r.per_image_fj > 0 and r.total_fj == pytest.approx(2 * r.per_image_fj, rel=1e-6)
    assert r.total_fj == pytest.approx(sum(x["energy_fj"] for x in r.layers), rel=1e-6)
    assert r.weight_load_fj > 0
    assert r.per_image_with_load_fj > r.per_image_fj
    assert all(x["fetch_fj"] > 0 and x["fetch_fj"] < x["energy_fj"] for x in r.layers)
    # layer 0: 36 windows of 3x3x1 x 4; layer 1: VALID 4x4 windows, pooled to 2x2
    assert [x["windows_per_image"] for x in r.layers] == [36, 16]
    assert [x["network_macs_per_image"] for x in r.layers] == [36 * 9 * 4, 16 * 9 * 4 * 3]
    assert r.checked_pixels == 2 * 36 + 2 * 4
    # the predictions of the netlist are the golden model's
    scores = TernaryNetwork(layers)(images).reshape(2, -1, 3)[:, 0, :]
    assert r.predictions == [int(v) for v in np.argmax(scores, axis=1)]
    assert r.correct == sum(int(p == q) for p, q in zip(r.predictions, labels, strict=True))
    z = r.layers[0]["zero_fraction"]
    assert z["engine_activations"] >= 0.75  # 3 of the 4 engine channels are unused
    # the golden-model records (no simulation) agree with the measured run's, and their
    # engine-word zero fractions with the words zero-padded to the engine's 4 x 4 channels
    static = network_layers(inst, layers, images)
    for rec, got in zip(static, r.layers, strict=True):
        assert {k: got[k] for k in rec} == rec
    inputs = [images, TernaryNetwork(layers[:1])(images)]
    for rec, lay, x in zip(static, layers, inputs, strict=True):
        words = np.zeros((4, 3, 3, 4), dtype=np.int64)
        words[:lay.weights.shape[0], ..., :lay.weights.shape[3]] = lay.weights
        acts = np.zeros(x.shape[:3] + (4,), dtype=np.int64)
        acts[..., :x.shape[3]] = x
        assert rec["zero_fraction"]["engine_weights"] == round(float(np.mean(words == 0)), 4)
        assert rec["zero_fraction"]["engine_activations"] == round(float(np.mean(acts == 0)), 4)


@pytest.mark.parametrize("density", [-0.1, 1.5, "0.5", True, float("nan")])
def test_bad_density(density):
    inst = instantiate("ternary_engine", TINY)
    with pytest.raises(ValueError, match="Density must be a number between 0 and 1"):
        engine_energy(inst, density=density)


@pytest.mark.parametrize("frames", [0, 257, 1.0])
def test_bad_frames(frames):
    inst = instantiate("ternary_engine", TINY)
    with pytest.raises(ValueError, match="Frames must be an integer between 1 and 256"):
        engine_energy(inst, frames=frames)


def test_not_the_engine():
    with pytest.raises(ValueError, match="is not the ternary engine"):
        engine_energy(instantiate("ternary_ocu", {"n_i": 4, "k": 3}))


def test_cli_dispatch(capsys):
    from gen.cli import main

    argv = ["energy", "ternary_engine"]
    for k, v in TINY.items():
        argv += ["-p", f"{k}={v}"]
    assert main([*argv, "--windows", "100"]) == 2
    assert "--windows is for" in capsys.readouterr().err
    assert main([*argv, "--density", "2"]) != 0
    err = capsys.readouterr().err
    assert "argument --density: must be a finite number from 0 to 1, not 2" in err


def test_energy_error_is_raised_not_zero(monkeypatch):
    """A run without toggles is an error, never an energy of 0 (the bench's window energy, which
    the sweep and the network runs use for every stretch)."""

    class Quiet:
        def __init__(self):
            self.total = type("T", (), {"total": 0.0})()
            self.input_switching = 0.0

    gl = GateLevel(instantiate("ternary_engine", TINY), None, None, None, None, None)
    options = SimpleNamespace(liberty=SimpleNamespace(library=None), wire_load="default",
                              slew=None)
    monkeypatch.setattr(activity, "read_activity", lambda *a, **k: None)
    monkeypatch.setattr(power, "analyse", lambda *a, **k: Quiet())
    with pytest.raises(EnergyError, match="came out as zero"):
        gl.energy("none.vcd", "ef_gate_dump.dut", 0.0, 10.0, options)


# the keys of the engine's sweep result before the flow's one record (report.json must not
# change)
SWEEP_KEYS = {
    "module", "params", "density", "measured_zero_fraction", "frames", "frame_shape",
    "channels", "windows", "output_pixels", "macs", "ops_per_mac", "cycles", "energy_fj",
    "energy_per_pixel_fj", "energy_per_mac_fj", "energy_per_op_fj", "switching_fj",
    "internal_fj", "leakage_fj", "input_switching_fj", "fetch_fj", "fetch_cycles", "groups",
    "parts", "toggles_per_cycle", "workload_text", "seed", "liberty", "liberty_path",
    "voltage_v", "period_ns", "slew_ns", "wire_load", "sim", "area", "cells",
    "unannotated_nets", "checked_pixels", "seconds", "limits", "cached"}


def test_record_keys_and_the_family_hooks(sweep, dirs):
    r = sweep[0.9]
    assert set(r.to_dict()) == SWEEP_KEYS
    text = FAMILY.energy_text(r)
    assert text == engine_energy_text(r)
    assert f"energy/MAC       {r.energy_per_mac_fj:.3f} fJ  ({r.macs} MACs" in text
    assert f"{r.checked_pixels} output pixels matched the golden model" in text
    # the family's energy hook measures the same (from the cache)
    inst = instantiate("ternary_engine", TINY)
    args = argparse.Namespace(density=0.9, frames=2, windows=None, seed=SEED)
    FAMILY.check_energy(inst, args)
    again = FAMILY.energy(inst, args, BenchOptions.make(**dirs))
    assert again.cached and again.to_dict() == {**r.to_dict(), "cached": True,
                                                 "seconds": again.seconds}
    with pytest.raises(ValueError, match="Frames must be an integer between 1 and 256"):
        FAMILY.check_energy(inst, argparse.Namespace(density=None, frames=0, windows=None,
                                                     seed=SEED))
