"""Fibbinary patterns, codebooks and the quantiser against plain-Python definitions."""

import itertools

import numpy as np
import pytest

from sim_models.cim import codebook, fibbinary_patterns, fibonacci, is_fibbinary, quantise


def _no_adjacent_ones(v):
    """Scalar definition: no two adjacent 1 bits, checked bit by bit on the binary string."""
    return "11" not in format(v, "b")


def test_patterns_are_every_fibbinary_word_and_f_n_plus_2_of_them():
    # OEIS A003714 starts 0, 1, 2, 4, 5, 8, 9, 10, 16, 17, 18, 20, 21
    assert list(fibbinary_patterns(5)[:13]) == [0, 1, 2, 4, 5, 8, 9, 10, 16, 17, 18, 20, 21]
    for wb in range(1, 11):
        want = [v for v in range(1 << wb) if _no_adjacent_ones(v)]
        assert list(fibbinary_patterns(wb)) == want
        assert len(want) == fibonacci(wb + 2)
    assert len(fibbinary_patterns(4)) == 8 and max(fibbinary_patterns(4)) == 10
    assert len(fibbinary_patterns(8)) == 55 and max(fibbinary_patterns(8)) == 170


def test_is_fibbinary_elementwise():
    v = np.arange(256)
    assert list(is_fibbinary(v)) == [_no_adjacent_ones(int(x)) for x in v]
    assert is_fibbinary(5) is True and is_fibbinary(6) is False
    with pytest.raises(ValueError, match="non-negative"):
        is_fibbinary([-1])


def test_codebooks():
    assert list(codebook(4)) == [0, 1, 2, 4, 5, 8, 9, 10]
    assert list(codebook(4, signed=True)) == [-8, -7, -6, 0, 1, 2, 4, 5]
    assert len(codebook(8, signed=True)) == 55


def test_or_of_shifted_copies_is_the_product_for_1_and_2_bit_slices_only():
    for w in fibbinary_patterns(8):
        w = int(w)
        for s in range(4):
            ored = 0
            for i in range(8):
                if w >> i & 1:
                    ored |= s << i
            assert ored == s * w
    # a 3-bit slice breaks it (REFERENCE 3.2): 7 * 5 = 35, OR gives 7 | 28 = 31
    assert (7 | (7 << 2)) != 7 * 5


@pytest.mark.parametrize("wb,signed", [(3, False), (4, False), (4, True), (6, True), (8, False)])
def test_quantise_is_nearest_level_with_ties_to_smaller_magnitude(wb, signed):
    levels = [int(v) for v in codebook(wb, signed)]
    rng = np.random.default_rng(5)
    vals = np.concatenate([rng.uniform(levels[0] - 3, levels[-1] + 3, 500),
                           np.arange(levels[0] - 2, levels[-1] + 3, 0.5)])
    got = quantise(vals, wb, signed)
    for v, q in zip(vals, got, strict=True):
        best = min(levels, key=lambda lv: (abs(lv - v), abs(lv)))  # scalar definition
        assert q == best, (v, q, best)


def test_quantise_tie_examples_and_errors():
    assert list(quantise([3.0, 6.5, 7.0, -3.0, 100, -100], 4, True)) == [2, 5, 5, 0, 5, -8]
    assert list(quantise([3.0, 6.5, 7.0], 4)) == [2, 5, 8]
    with pytest.raises(ValueError, match="NaN"):
        quantise([np.nan], 4)
    with pytest.raises(ValueError, match="^Weight bits must be an integer between 1 and 16, "
                                         "not 0$"):
        quantise([1], 0)


def test_signed_levels_are_twos_complement_of_fibbinary_patterns():
    for wb in range(1, 7):
        want = sorted(v - (1 << wb) if v >> (wb - 1) else v
                      for v in range(1 << wb) if _no_adjacent_ones(v))
        assert list(codebook(wb, True)) == want
        for a, b in itertools.pairwise(want):
            assert a < b
