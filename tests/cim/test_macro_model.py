"""The bit-serial CIM model against integer dot products and a scalar reference."""

import itertools

import numpy as np
import pytest

from sim_models.cim import CIMMacroModel, codebook, slice_schedule

SEED = 20261124


def _scalar_mac(x, w, *, wb, ib, signed_inputs, signed_weights, encoding, approx_bits):
    """Second reference: per column, per input bit (pairs never needed: the product of an
    input bit group with a weight is a plain multiply here), products floored per slice."""
    pair = 2 if encoding == "fibbinary" else 1
    plain = ib - 1 if signed_inputs else ib
    groups = [(p, min(pair, plain - p), 1) for p in range(0, plain, pair)]
    if signed_inputs:
        groups.append((ib - 1, 1, -1))
    out = []
    for c in range(len(w[0])):
        total = 0
        for pos, width, sign in groups:
            tree = 0
            for r in range(len(x)):
                s = ((x[r] % (1 << ib)) >> pos) % (1 << width)
                prod = s * w[r][c]
                prod = (prod // (1 << approx_bits)) * (1 << approx_bits)
                tree += prod
            total += sign * tree * (1 << pos)
        out.append(total)
    return out


def _weights(rng, model, shape):
    if model.encoding == "fibbinary":
        return rng.choice(codebook(model.wb, model.signed_weights), size=shape)
    lo, hi = model.weight_range()
    return rng.integers(lo, hi, size=shape, endpoint=True)


def test_slice_schedules():
    assert [(s.pos, s.width, s.negate) for s in slice_schedule(4, False, "binary", "lsb")] == \
        [(0, 1, False), (1, 1, False), (2, 1, False), (3, 1, False)]
    assert [(s.pos, s.width, s.negate) for s in slice_schedule(4, True, "binary", "msb")] == \
        [(3, 1, True), (2, 1, False), (1, 1, False), (0, 1, False)]
    assert [(s.pos, s.width) for s in slice_schedule(4, False, "fibbinary", "lsb")] == \
        [(0, 2), (2, 2)]
    assert [(s.pos, s.width, s.negate) for s in slice_schedule(4, True, "fibbinary", "lsb")] \
        == [(0, 2, False), (2, 1, False), (3, 1, True)]
    assert [(s.pos, s.width) for s in slice_schedule(5, True, "fibbinary", "msb")] == \
        [(4, 1), (2, 2), (0, 2)]
    assert len(slice_schedule(8, False, "fibbinary", "lsb")) == 4
    assert len(slice_schedule(8, True, "fibbinary", "lsb")) == 5
    assert len(slice_schedule(1, True, "fibbinary", "lsb")) == 1


COMBOS = list(itertools.product((False, True), (False, True), ("binary", "fibbinary"),
                                ("lsb", "msb"), (0, 2)))


@pytest.mark.parametrize("si,sw,enc,order,approx", COMBOS)
def test_exhaustive_small_macro_against_references(si, sw, enc, order, approx):
    # 2 rows x 1 column, 3-bit weights and inputs: every input pair with every weight pair
    m = CIMMacroModel(2, 1, 3, 3, signed_inputs=si, signed_weights=sw, bit_order=order,
                      encoding=enc, approx_bits=approx)
    xl, xh = m.input_range()
    levels = codebook(3, sw) if enc == "fibbinary" else range(m.weight_range()[0],
                                                               m.weight_range()[1] + 1)
    xs = np.array(list(itertools.product(range(xl, xh + 1), repeat=2)))
    for w0, w1 in itertools.product(levels, repeat=2):
        w = np.array([[w0], [w1]])
        got = m(xs, w)[:, 0]
        if approx == 0:
            assert (got == xs @ w[:, 0]).all()
        ref = [_scalar_mac(list(x), w.tolist(), wb=3, ib=3, signed_inputs=si,
                           signed_weights=sw, encoding=enc, approx_bits=approx)[0] for x in xs]
        assert list(got) == ref


@pytest.mark.parametrize("si,sw,enc", list(itertools.product((False, True), (False, True),
                                                             ("binary", "fibbinary"))))
def test_random_64_rows_equal_dot_product(si, sw, enc):
    rng = np.random.default_rng(SEED)
    print(f"seed {SEED}")
    m = CIMMacroModel(64, 4, 4, 4, signed_inputs=si, signed_weights=sw, encoding=enc)
    lo, hi = m.input_range()
    x = rng.integers(lo, hi, size=(200, 64), endpoint=True)
    w = _weights(rng, m, (64, 4))
    assert (m(x, w) == x @ w).all()
    lo_o, hi_o = m.output_range()
    assert lo_o <= (x @ w).min() and (x @ w).max() <= hi_o
    assert m.cycles == (4 if enc == "binary" else (3 if si else 2))


def test_extremes_reach_the_output_range():
    m = CIMMacroModel(16, 2, 4, 4, signed_inputs=True, signed_weights=True)
    x = np.full((2, 16), -8)
    w = np.stack([np.full(16, -8), np.full(16, 7)], axis=1)
    assert list(m(x, w)[0]) == [16 * 64, -16 * 56]
    assert m.output_range() == (-16 * 56, 16 * 64)


def test_fibbinary_or_differs_from_product_off_codebook_so_model_rejects_it():
    m = CIMMacroModel(2, 1, 4, 2, encoding="fibbinary")
    with pytest.raises(ValueError, match=r"^Weight 3 at row 1, column 0 is not on the 4-bit "
                                         r"fibbinary codebook \(pattern 0011"):
        m(np.array([[1, 3]]), np.array([[1], [3]]))


def test_per_cycle_weights():
    m = CIMMacroModel(2, 1, 4, 4)
    x = np.array([[15, 15]])
    w = np.zeros((1, 4, 2, 1), dtype=np.int64)
    w[0, 2:, 0, 0] = 1  # row 0 weight becomes 1 before bit 2
    assert m(x, w)[0, 0] == 4 + 8


@pytest.mark.parametrize("kwargs,exc,msg", [
    ({"rows": 0}, ValueError, "Rows must be an integer between 1 and 1024, not 0"),
    ({"wb": 9}, ValueError, "Weight bits must be an integer between 1 and 8, not 9"),
    ({"ib": 1.5}, TypeError, "Input bits must be an integer between 1 and 8, not 1.5"),
    ({"approx_bits": 4}, ValueError,
     "Approx bits must be an integer between 0 and 3 (wb - 1), not 4"),
    ({"encoding": "gray"}, ValueError, "Encoding must be 'binary' or 'fibbinary', not 'gray'"),
    ({"bit_order": "mid"}, ValueError, "Bit order must be 'lsb' or 'msb', not 'mid'"),
    ({"signed_inputs": 1}, TypeError, "Signed inputs must be a bool, not 1"),
])
def test_parameter_errors(kwargs, exc, msg):
    args = {"rows": 4, "cols": 2, "wb": 4, "ib": 4} | kwargs
    with pytest.raises(exc) as e:
        CIMMacroModel(args.pop("rows"), args.pop("cols"), args.pop("wb"), args.pop("ib"), **args)
    assert str(e.value) == msg


def test_input_errors():
    m = CIMMacroModel(4, 2, 4, 4)
    with pytest.raises(ValueError, match=r"^Inputs must be between 0 and 15 \(4-bit unsigned\)"):
        m(np.array([[16, 0, 0, 0]]), np.zeros((4, 2), dtype=int))
    with pytest.raises(ValueError, match=r"^Inputs must have shape \(N, 4\)"):
        m(np.zeros((1, 3), dtype=int), np.zeros((4, 2), dtype=int))
    with pytest.raises(ValueError, match=r"^Weight values must be between 0 and 15"):
        m(np.zeros((1, 4), dtype=int), np.full((4, 2), -1))


def test_tree_errors_zero_when_exact_and_bounded_by_truncation():
    from sim_models.cim import tree_errors

    exact = tree_errors(CIMMacroModel(16, 2, 4, 4, signed_weights=True), 200, SEED)
    assert exact["ep"] == 0 and exact["wce"] == 0 and exact["mred"] == 0
    for enc in ("binary", "fibbinary"):
        m = CIMMacroModel(16, 2, 4, 4, signed_weights=True, encoding=enc, approx_bits=2)
        r = tree_errors(m, 500, SEED)
        # floor drops at most 3 per product; products are summed at weights sum(2**pos)
        bound = 16 * 3 * sum(1 << s.pos for s in m.slices)
        assert 0 < r["med"] <= r["wce"] <= bound
        assert r["mean_error"] < 0  # flooring only lowers products
        assert r["results"] == 1000 and r["seed"] == SEED
