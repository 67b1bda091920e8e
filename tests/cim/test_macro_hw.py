# amaranth: UnusedElaboratable=no
"""The CIM macro generator in the Amaranth simulator, against the golden model.

Exhaustive over small configurations (every input vector of a 2-row macro against every pair
of weight levels, in every combination of signedness x encoding x exact/approximate x bit
order, storage alternating), random vectors on larger ones with back-pressure and input gaps
(stream rules checked on ``o_stream``), writes during compute, read-back and latency.
"""

import itertools
import re

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.cim import CIMMacro
from sim_models.cim import CIMMacroModel, codebook

SEED = 20261124


def _model(dut):
    return CIMMacroModel(dut.rows, dut.cols, dut.wb, dut.ib, signed_inputs=dut.signed_inputs,
                         signed_weights=dut.signed_weights, bit_order=dut.bit_order,
                         encoding=dut.encoding, approx_bits=dut.approx_bits)


def _rand_weights(rng, dut, shape):
    if dut.encoding == "fibbinary":
        return rng.choice(codebook(dut.wb, dut.signed_weights), size=shape)
    lo = -(1 << (dut.wb - 1)) if dut.signed_weights else 0
    hi = (1 << (dut.wb - 1)) - 1 if dut.signed_weights else (1 << dut.wb) - 1
    return rng.integers(lo, hi, size=shape, endpoint=True)


def _rand_inputs(rng, dut, n):
    lo = -(1 << (dut.ib - 1)) if dut.signed_inputs else 0
    hi = (1 << (dut.ib - 1)) - 1 if dut.signed_inputs else (1 << dut.ib) - 1
    return rng.integers(lo, hi, size=(n, dut.rows), endpoint=True)


def run(dut, weights, xs, *, ready=None, writes=(), gaps=None, rng=None):
    """Write ``weights`` (rows x cols), stream ``xs``; ``writes`` = [(vector index, slice
    index, row, values)]: written so the write lands before that slice of that vector.

    Returns the results, the accept cycles, the cycles of each result, and the per-cycle
    weight array of every vector (for the model)."""
    rows, cols = dut.rows, dut.cols
    results, accepted, produced = [], [], []
    current = np.array(weights, dtype=np.int64)
    per_cycle = np.zeros((len(xs), dut.cycles, rows, cols), dtype=np.int64)
    pending = {(v, j): (r, vals) for v, j, r, vals in writes}

    async def bench(ctx):
        nonlocal current
        for r in range(rows):
            ctx.set(dut.w_en, 1)
            ctx.set(dut.w_addr, r)
            ctx.set(dut.w_data, [int(v) for v in weights[r]])
            await ctx.tick()
        ctx.set(dut.w_en, 0)
        # read back every row
        for r in range(rows):
            ctx.set(dut.r_en, 1)
            ctx.set(dut.r_addr, r)
            await ctx.tick()
            ctx.set(dut.r_en, 0)
            got = [int(v) for v in ctx.get(dut.r_data)]
            assert got == [int(v) for v in weights[r]], f"read-back row {r}: {got}"
        sent = cycle = 0
        vec = -1      # vector being computed
        slice_j = 0
        offering = False  # an offered vector is held until taken (stream rule)
        held = None       # result offered and not taken in the previous cycle
        while len(results) < len(xs):
            assert cycle < 100 * (len(xs) + 4) * dut.cycles, "timeout"
            offering = offering or (sent < len(xs) and not (gaps and rng.random() < gaps))
            offer = offering
            ctx.set(dut.i_stream.valid, offer)
            if sent < len(xs):
                ctx.set(dut.i_stream.payload, [int(v) for v in xs[sent]])
            o_ready = 1 if ready is None else ready[cycle % len(ready)]
            ctx.set(dut.o_stream.ready, o_ready)
            # a write timed to land before slice `slice_j + 1` of the vector in flight
            wr = None
            if ctx.get(dut.busy) and (vec, slice_j + 1) in pending:
                wr = pending.pop((vec, slice_j + 1))
            ctx.set(dut.w_en, wr is not None)
            if wr is not None:
                ctx.set(dut.w_addr, wr[0])
                ctx.set(dut.w_data, [int(v) for v in wr[1]])
            take_in = offer and ctx.get(dut.i_stream.ready)
            take_out = o_ready and ctx.get(dut.o_stream.valid)
            now = [int(v) for v in ctx.get(dut.o_stream.payload)] \
                if ctx.get(dut.o_stream.valid) else None
            assert held is None or now == held, f"cycle {cycle}: o_stream changed or dropped"
            held = now if now is not None and not o_ready else None
            if take_out:
                results.append([int(v) for v in ctx.get(dut.o_stream.payload)])
                produced.append(cycle)
            busy = ctx.get(dut.busy)
            if busy:
                per_cycle[vec, slice_j] = current
            advance = busy and (slice_j < dut.cycles - 1 or not ctx.get(dut.o_stream.valid)
                                or o_ready)
            await ctx.tick()
            if wr is not None:
                current = current.copy()
                current[wr[0]] = wr[1]
            if advance:
                slice_j += 1
                if slice_j == dut.cycles:
                    slice_j = 0
                    vec = -1
            if take_in:
                accepted.append(cycle)
                vec, slice_j = sent, 0
                sent += 1
                offering = False
            cycle += 1

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return np.array(results), accepted, produced, per_cycle


COMBOS = list(itertools.product((False, True), (False, True), ("binary", "fibbinary"),
                                (0, 1)))


@pytest.mark.parametrize("si,sw,enc,approx", COMBOS)
def test_exhaustive_two_rows(si, sw, enc, approx):
    # 2 rows x n columns of 3-bit weights (n = number of levels), 3-bit inputs: every input
    # vector (64); column c holds (level c, level c + shift): over all shifts every pair of
    # levels meets every pair of inputs; both bit orders, storage alternating
    for order in ("lsb", "msb"):
        storage = ("ff", "latch")[(order == "msb") ^ sw]
        m0 = CIMMacroModel(2, 1, 3, 3, signed_inputs=si, signed_weights=sw, encoding=enc)
        levels = list(codebook(3, sw)) if enc == "fibbinary" else \
            list(range(m0.weight_range()[0], m0.weight_range()[1] + 1))
        n = len(levels)
        dut = CIMMacro(2, n, 3, 3, signed_inputs=si, signed_weights=sw, encoding=enc,
                       approx_bits=approx, bit_order=order, storage=storage)
        m = _model(dut)
        lo, hi = m.input_range()
        xs = np.array(list(itertools.product(range(lo, hi + 1), repeat=2)))
        for shift in range(n):
            w = np.array([[levels[c] for c in range(n)],
                          [levels[(c + shift) % n] for c in range(n)]])
            got, acc, _, _ = run(dut, w, xs)
            want = m(xs, w)
            assert (got == want).all(), (order, w, np.argwhere(got != want)[:3])
            if approx == 0:
                assert (got == xs @ w).all()
            # back to back: one vector per `cycles` clocks
            assert np.diff(acc).tolist() == [dut.cycles] * (len(xs) - 1)


def test_every_weight_level_in_every_cell_position():
    for enc, sw in itertools.product(("binary", "fibbinary"), (False, True)):
        dut = CIMMacro(4, 3, 4, 4, signed_weights=sw, encoding=enc)
        m = _model(dut)
        levels = list(codebook(4, sw)) if enc == "fibbinary" else \
            list(range(m.weight_range()[0], m.weight_range()[1] + 1))
        rng = np.random.default_rng(SEED)
        for chunk in range(0, len(levels), 4 * 3):
            vals = (levels[chunk:] + levels)[:12]
            w = np.array(vals).reshape(4, 3)
            xs = _rand_inputs(rng, dut, 6)
            xs[0] = 15
            got = run(dut, w, xs)[0]
            assert (got == xs @ w).all()


@pytest.mark.parametrize("params", [
    dict(rows=16, cols=3, wb=4, ib=4),
    dict(rows=16, cols=3, wb=4, ib=4, signed_inputs=True, signed_weights=True,
         encoding="fibbinary", storage="latch"),
    dict(rows=9, cols=2, wb=8, ib=8, signed_inputs=True, encoding="fibbinary",
         bit_order="msb", approx_bits=3),
    dict(rows=5, cols=2, wb=1, ib=1, signed_weights=True),
    dict(rows=5, cols=2, wb=2, ib=5, signed_inputs=True, signed_weights=True,
         encoding="fibbinary", storage="latch", bit_order="msb"),
])
def test_random_with_backpressure_and_gaps(params):
    dut = CIMMacro(**params)
    m = _model(dut)
    rng = np.random.default_rng(SEED)
    print(f"seed {SEED}")
    w = _rand_weights(rng, dut, (dut.rows, dut.cols))
    xs = _rand_inputs(rng, dut, 40)
    ready = [int(v) for v in rng.integers(0, 2, 37)]
    got, _, _, _ = run(dut, w, xs, ready=ready, gaps=0.3, rng=rng)
    assert (got == m(xs, w)).all()


@pytest.mark.parametrize("storage", ["ff", "latch"])
def test_writes_during_compute(storage):
    # rows are rewritten while vectors are in flight, at chosen slices; the model gets the
    # weights in effect at every cycle; a write to a row whose input is 0 changes nothing
    dut = CIMMacro(8, 2, 4, 4, signed_weights=True, signed_inputs=True, storage=storage)
    m = _model(dut)
    rng = np.random.default_rng(SEED)
    w = _rand_weights(rng, dut, (8, 2))
    xs = _rand_inputs(rng, dut, 12)
    writes = [(v, 1 + v % (dut.cycles - 1), v % 8, _rand_weights(rng, dut, (2,)))
              for v in range(1, 12, 2)]
    got, _, _, per_cycle = run(dut, w, xs, writes=writes)
    assert (per_cycle[1] != per_cycle[1][0]).any(), "a write landed mid-vector"
    assert (got == m(xs, per_cycle)).all()
    # the mixed weights matter: with the initial weights the results differ somewhere
    assert (got != m(xs, w)).any()


def test_latency():
    dut = CIMMacro(4, 1, 4, 4, encoding="fibbinary")
    assert dut.cycles == 2
    got, acc, prod, _ = run(dut, np.array([[1], [2], [4], [5]]), np.array([[15, 1, 2, 3]]))
    assert got[0][0] == 15 + 2 + 8 + 15
    # transferred at the edge ending cycle acc[0]; offered `cycles` edges later, i.e. during
    # cycle acc[0] + cycles + 1
    assert prod[0] - acc[0] == dut.cycles + 1


def test_signature_and_shapes():
    dut = CIMMacro(64, 4, 4, 4, signed_inputs=True, signed_weights=True)
    assert dut.module_name == "cim_r64_c4_w4_i4_ss_bin_lsb"
    assert dut.output_shape.signed and dut.output_shape.width == 14  # -64*56 .. 64*64 = 4096
    assert dut.cycles == 4
    assert CIMMacro(64, 4, 4, 4, encoding="fibbinary").cycles == 2
    assert CIMMacro(64, 4, 4, 8, encoding="fibbinary").cycles == 4
    assert CIMMacro(64, 4, 4, 8, signed_inputs=True, encoding="fibbinary").cycles == 5
    u = CIMMacro(64, 4, 4, 4)
    assert not u.output_shape.signed and u.output_shape.width == 14  # 64 * 225 = 14400
    assert CIMMacro(16, 4, 4, 4, approx_bits=2).module_name == "cim_r16_c4_w4_i4_uu_bin_lsb_a2"


@pytest.mark.parametrize("kwargs,exc,msg", [
    ({"rows": 0}, ValueError, "Rows must be an integer between 1 and 1024, not 0"),
    ({"cols": 257}, ValueError, "Cols must be an integer between 1 and 256, not 257"),
    ({"wb": 0}, ValueError, "Weight bits must be an integer between 1 and 8, not 0"),
    ({"ib": "4"}, TypeError, "Input bits must be an integer between 1 and 8, not '4'"),
    ({"approx_bits": 4}, ValueError,
     "Approx bits must be an integer between 0 and 3 (wb - 1), not 4"),
    ({"encoding": "nafs"}, ValueError,
     "Encoding must be 'binary' or 'fibbinary', not 'nafs'"),
    ({"bit_order": "MSB"}, ValueError, "Bit order must be 'lsb' or 'msb', not 'MSB'"),
    ({"storage": "sram"}, ValueError, "Storage must be 'ff' or 'latch', not 'sram'"),
    ({"signed_weights": "yes"}, TypeError, "Signed weights must be a bool, not 'yes'"),
])
def test_parameter_errors(kwargs, exc, msg):
    args = {"rows": 4, "cols": 2, "wb": 4, "ib": 4} | kwargs
    with pytest.raises(exc, match="^" + re.escape(msg) + "$"):
        CIMMacro(args.pop("rows"), args.pop("cols"), args.pop("wb"), args.pop("ib"), **args)
