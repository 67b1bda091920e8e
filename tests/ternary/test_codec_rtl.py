"""RTL of the trit codec against the numpy golden model, exhaustively, through the vector harness.

The packer sees all 1024 combinations of five 2-bit codes (the illegal ``0b10`` included), the
unpacker all 256 bytes; expected values come from :mod:`sim_models.ternary.trits` via
:func:`verif.ternary.codec.golden`. Each block is built once per simulator in
``build/verif/<module>/<sim>/``. Run under ``SIM=icarus`` and ``SIM=verilator``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from verif.ternary import codec

SEED = 20261124


def _group(block):
    # tests of one block share its build directory: keep them on one xdist worker
    return pytest.mark.xdist_group(f"codec_{block}")


@pytest.mark.rtl
@pytest.mark.parametrize("block", [pytest.param(b, marks=_group(b)) for b in codec.BLOCKS])
def test_codec_rtl_matches_golden_model_exhaustively(block):
    inputs = codec.all_inputs(block)
    r = codec.check(block)
    print(f"{r.module} ({r.sim}): {r.checked} vectors, run {r.seconds:.2f} s")
    assert r.checked == len(inputs) == (4 ** 5 if block == "packer" else 256)


def test_golden_vectors_cover_every_byte_and_both_flag_values():
    """The exhaustive sets are meaningful: every valid byte is produced or consumed, and the
    illegal flag is both set and clear."""
    packer = codec.golden("packer", codec.all_inputs("packer"))
    assert sorted(set(packer["packed_byte"].tolist())) == list(range(3 ** 5))
    assert packer["illegal"].sum() == 4 ** 5 - 3 ** 5  # every word holding a 0b10 code
    unpacker = codec.golden("unpacker", codec.all_inputs("unpacker"))
    assert unpacker["illegal"].sum() == 256 - 3 ** 5
    # the unpacker's code words of valid bytes are legal and distinct, and pack back to the byte
    words = unpacker["trits"][:3 ** 5]
    assert len(set(words.tolist())) == 3 ** 5
    back = codec.golden("packer", words)
    assert (back["packed_byte"] == np.arange(3 ** 5)).all() and not back["illegal"].any()


@pytest.mark.rtl
@pytest.mark.parametrize("block", [pytest.param(b, marks=_group(b)) for b in codec.BLOCKS])
def test_checker_names_vector_expected_got_and_repro(block):
    rng = np.random.default_rng(SEED)
    print(f"seed {SEED}")
    inputs = codec.all_inputs(block)
    expected = codec.golden(block, inputs)
    port = "packed_byte" if block == "packer" else "trits"  # the data output
    index = int(rng.integers(len(inputs)))
    true_value = int(expected[port][index])
    expected[port][index] ^= 0b10  # a wrong expectation; the RTL must show the true value
    with pytest.raises(codec.CodecMismatch) as info:
        codec.check(block, inputs, expected, tag="corrupt")
    text = str(info.value)
    print(text)
    assert re.search(rf"1 of {len(inputs)} vectors differ; first #{index}: ", text)
    fmt = "x" if port == "trits" else "d"
    want, got = text.split("expected ", 1)[1].split(", got ", 1)
    shown = rf"{port}=(0x)?0*{int(expected[port][index]):{fmt}}\b"
    assert re.search(shown, want), want
    shown = rf"{port}=(0x)?0*{true_value:{fmt}}\b"
    assert re.search(shown, got.split(";")[0]), got
    assert re.search(rf"reproduce: SIM=\w+ \S+ -m verif\.ternary\.codec {block} "
                     rf"--value {index}$", text)


def test_emitted_verilog_is_deterministic_and_names_its_modules(tmp_path):
    for block in codec.BLOCKS:
        first = codec.emit(block, tmp_path / "a").read_text()
        assert first == codec.emit(block, tmp_path / "b").read_text()
        module = codec.MODULES[block]
        assert f"module {module}(" in first and f"module {module}_ports (" in first
        assert "codec.py" not in first and str(tmp_path) not in first  # no source paths


def test_golden_and_cli_reject_bad_inputs(capsys):
    with pytest.raises(ValueError, match=r"Inputs of the unpacker must lie in 0\.\.255"):
        codec.golden("unpacker", [256])
    with pytest.raises(ValueError, match=r"Block must be one of packer, unpacker"):
        codec.all_inputs("decoder")
    for argv, message in ((["decoder"], "unknown blocks"),
                          (["--value", "3"], "--value needs exactly one block"),
                          (["packer", "--value", "1024"], r"must lie in 0\.\.1023")):
        with pytest.raises(SystemExit):
            codec.main(argv)
        assert re.search(message, capsys.readouterr().err)
