"""The CGRA checker (verif.cgra.fabric.check) on recorded runs built from the golden model."""

import numpy as np
import pytest

from sim_models.cgra import CGRAModel, Fabric
from sim_models.cgra.asm import assemble
from sim_models.cgra.programs import kernel
from verif.cgra.fabric import CGRATestError, check, memory_words

FAB = Fabric.builtin("small")


def _recorded(trace):
    """What the cocotb monitor would record for a fabric that behaves like the model."""
    w = FAB.width
    rows = []
    for k in range(trace.cycles):
        value = 0
        for f in range(len(FAB.fus)):
            for p in (0, 1):
                value |= int(trace.outputs[k, f, p]) << ((2 * f + p) * w)
        rows.append([int(trace.pc[k]), format(value, f"0{2 * len(FAB.fus) * w}b")])
    lsus = [fu.name for fu in FAB.fus if fu.type == "lsu"]
    mems = {str(i): memory_words(trace.memories[n], w) for i, n in enumerate(lsus)}
    return {"rows": rows, "done": True, "busy_after_done": 0, "memories": mems}


@pytest.fixture(scope="module")
def trace():
    k = kernel("dot")
    prog = assemble(k.program_text, FAB)
    return CGRAModel(FAB).run(prog.config, prog.imems, k.memories(k.inputs(1)))


def test_a_faithful_run_passes(trace):
    assert check(FAB, trace, _recorded(trace), "REPRO") == trace.cycles == 21


def _flip(text, bit):
    i = len(text) - 1 - bit
    return text[:i] + ("1" if text[i] == "0" else "0") + text[i + 1:]


@pytest.mark.parametrize("mutate,message", [
    (lambda o: o["rows"][5].__setitem__(1, _flip(o["rows"][5][1], 2 * 8 * 32 + 32 + 3)),
     r"cycle 5 \(address \d+\): alu0\.out1 = 0x[0-9a-f]+, expected 0x[0-9a-f]+; repro: REPRO"),
    (lambda o: o["rows"][3].__setitem__(1, "x" * 32 + o["rows"][3][1][32:]),
     r"cycle 3 .*alu3\.out1 = x{32} \(unknown bits\)"),
    (lambda o: o["rows"][2].__setitem__(0, 7), r"cycle 2: executed address 7, expected 2"),
    (lambda o: o["rows"].pop(), r"20 rows executed, the model executes 21"),
    (lambda o: o.__setitem__("done", False), r"did not reach halt"),
    (lambda o: o["memories"]["0"].__setitem__(16, 1), r"scratchpad lsu0 after the run: byte 64"),
])
def test_every_kind_of_difference_is_named(trace, mutate, message):
    observed = _recorded(trace)
    mutate(observed)
    with pytest.raises(CGRATestError, match=message):
        check(FAB, trace, observed, "REPRO")


def test_memory_words_round_trip():
    data = np.arange(16, dtype=np.uint8)
    assert memory_words(data, 32)[:2] == [0x03020100, 0x07060504]
    with pytest.raises(ValueError, match="not a whole number of 32-bit words"):
        memory_words(data[:6], 32)
