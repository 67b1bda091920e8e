"""The CGRA plug-in's hooks (gen.cgra.family): energy options, checks, text, commands."""

import argparse

import pytest

from gen.cgra.family import FAMILY, energy_text
from gen.flow.family import families, instantiate
from gen.flow.record import EnergyRecord


def test_registered_with_its_energy_option():
    assert families()["cgra"] is FAMILY
    (opt,) = FAMILY.energy_options()
    assert opt.flag == "--kernel" and opt.designs == ("cgra",) and "default" not in opt.kwargs
    assert opt.kwargs["help"] == "cgra: kernel to run (dot, fir, gemm, vadd, conv3x3; default dot)"
    assert FAMILY.rtl_check("cgra") == "python -m verif.cgra.fabric --kernel K"
    assert FAMILY.rtl_check("drum") is None


def test_check_energy_names_the_kernels():
    point = instantiate("cgra", {})
    FAMILY.check_energy(point, argparse.Namespace(kernel=None, seed=1))
    FAMILY.check_energy(point, argparse.Namespace(kernel="conv3x3", seed=1))
    with pytest.raises(ValueError, match=r"^Kernel must be one of dot, fir, gemm, vadd, "
                                         r"conv3x3, not 'nosuch'$"):
        FAMILY.check_energy(point, argparse.Namespace(kernel="nosuch", seed=1))


def test_asm_is_the_family_command():
    sub = argparse.ArgumentParser().add_subparsers(dest="command")
    handlers = FAMILY.add_commands(sub)
    assert list(handlers) == ["asm"]
    args = sub.choices["asm"].parse_args(["dot", "--fabric", "small", "--list-fields"])
    assert args.program == "dot" and args.list_fields and args.output is None


def test_energy_text():
    r = EnergyRecord(
        module="cgra_small", params={"fabric": "small", "mul": ""}, seed=1, switching_fj=1.0,
        internal_fj=2.0, leakage_fj=0.5, input_switching_fj=0.1, groups={}, liberty="lib",
        liberty_path="/x/lib", voltage_v=1.8, period_ns=10.0, wire_load="default", sim="icarus",
        cells=10, unannotated_nets=0, seconds=1.0, limits=[],
        extra={"kernel": "dot", "cycles": 21, "window_cycles": 23,
               "energy_per_run_fj": 123456.0, "energy_per_cycle_fj": 5367.652,
               "per_unit": {}, "per_type": {"lsu": 100000.0, "mul (exact)": 23456.0},
               "toggles_per_run": 5, "area_um2": 98765.4, "area_ge": 7890.1,
               "area_per_type": {"lsu": 90000.0, "configuration + top": 8765.4},
               "checked_rows": 21})
    assert energy_text(r) == FAMILY.energy_text(r) == "\n".join([
        "cgra_small: kernel dot (seed 1), 21 cycles executed (23 from start to done), every row "
        "equal to the golden model",
        "  energy per run 123.46 pJ (5.37 pJ per cycle), 1.8 V, 10 ns clock, lib",
        "  area 98,765 um^2 (7,890 GE)",
        "  part                      pJ/run   area um^2",
        "  configuration + top                    8,765",
        "  lsu                       100.00      90,000",
        "  mul (exact)                23.46            ",
        "  zero-delay simulation: glitch power not modelled"])
