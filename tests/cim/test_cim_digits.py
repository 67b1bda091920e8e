"""The CIM layer of the digits MLP: accuracy per codebook, and the layer through the RTL."""

import numpy as np
import pytest

from gen.cim.digits import HIDDEN, cim_digits, input_codes
from gen.flow.datasets import load_data
from gen.flow.family import instantiate
from sim_models.cim import codebook, is_fibbinary
from verif.cim.macro import VectorSet
from verif.cim.macro import run as run_cim

SEED = 1


@pytest.fixture(scope="module")
def result():
    print(f"seed {SEED}")
    return cim_digits(SEED)


def test_accuracies_and_codebooks(result):
    r = result
    print(f"float {r.float_accuracy:.4f}; {r.accuracy}")
    assert r.test_images == 539 and r.train_images == 1258
    assert r.float_accuracy > 0.9
    # 8-bit uniform weights cost (almost) nothing; 4-bit a little
    assert abs(r.accuracy["binary"][8] - r.float_accuracy) <= 0.01
    assert r.accuracy["binary"][4] >= r.float_accuracy - 0.03
    # the two's-complement fibbinary codebook has a hole: the zero-point variant does better
    for wb in (4, 8):
        assert r.weight_rmse["fibbinary_zp"][wb] < r.weight_rmse["fibbinary"][wb]
        assert r.weight_rmse["binary"][wb] < r.weight_rmse["fibbinary_zp"][wb]
    q, _ = r.quantised[("fibbinary", 4)]
    assert np.isin(q, codebook(4, True)).all()
    stored, _, z = r.quantised[("fibbinary_zp", 4)]
    assert is_fibbinary(stored).all() and (stored[:, HIDDEN] == 1).all()
    assert ((0 <= z) & (z <= 10)).all()


@pytest.mark.rtl
def test_digits_layer_through_the_rtl(result):
    # first 8 columns of the 4-bit zero-point fibbinary layer on a 64 x 8 macro, 16 test images
    stored, _, _ = result.quantised[("fibbinary_zp", 4)]
    x = input_codes(load_data()[2][:16])
    inst = instantiate("cim_macro", {"rows": 64, "cols": 8, "wb": 4, "ib": 4,
                                     "encoding": "fibbinary"})
    vset = VectorSet("digits", stored[:, :8], x)
    r = run_cim(inst, seed=SEED, sets=[vset])
    assert r.checked == 16
