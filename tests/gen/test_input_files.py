"""Hostile input files: every reader refuses them in one line, bounded, before any output.

Liberty, netlist, VCD/FST, CGRA fabric and PASM program files: a directory, ``/dev/zero`` and a
link to it, an empty file, random bytes, a truncated gzip, a gzip bomb (with the limit lowered,
so the test stays light), and the bounds on sizes and counts.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import pytest

from gen.eda import files, liberty
from gen.eda.activity import ActivityError, read_activity
from gen.eda.liberty import LibertyError
from gen.eda.netlist import NetlistError, load_netlist
from sim_models.cgra import asm as cgra_asm
from sim_models.cgra.fabric_file import load as load_fabric

ROOT = Path(__file__).resolve().parents[2]
COMPACT = ROOT / "gen" / "eda" / "data" / "sky130_fd_sc_hd_compact.lib"
DEV_ZERO = Path("/dev/zero")
needs_dev_zero = pytest.mark.skipif(not DEV_ZERO.exists(), reason="no /dev/zero")


def _one_line(e: BaseException) -> str:
    text = str(e)
    assert "\n" not in text and "Traceback" not in text
    return text


@pytest.fixture
def hostile(tmp_path):
    """Paths of hostile files, by kind (the /dev/zero ones where it exists)."""
    d = tmp_path / "adir"
    d.mkdir()
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    rand = tmp_path / "random"
    rand.write_bytes(os.urandom(4096))
    trunc = tmp_path / "trunc.gz"
    trunc.write_bytes(gzip.compress(b"library (x) {\n" * 1000)[:-40])
    out = {"directory": (d, "is a directory, not a file"),
           "empty": (empty, "empty"),
           "random": (rand, ""),
           "truncated gzip": (trunc, "")}
    if DEV_ZERO.exists():
        link = tmp_path / "zero.link"
        link.symlink_to(DEV_ZERO)
        out["/dev/zero"] = (DEV_ZERO, "is not a regular file")
        out["link to /dev/zero"] = (link, "is not a regular file")
    return out


def _bomb(path: Path, size: int) -> Path:
    """A gzip file of ``size`` spaces (about 1000 times smaller than that)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1 << 20)
    with open(path, "wb") as f:
        for _ in range(size >> 20):
            f.write(z.compress(chunk))
        f.write(z.flush())
    return path


# --------------------------------------------------------------------------------------------
# gen.eda.files


def test_size_text_names_the_limit_in_round_units(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * 3000)
    with pytest.raises(files.InputFileError) as e:
        files.input_file(big, "thing", max_bytes=1000)
    assert _one_line(e.value) == f"thing {big} is 3000 bytes; the limit is 1000 bytes"
    assert files._size_text(16 << 30) == "16 GiB" and files._size_text(256 << 20) == "256 MiB"


def test_gunzip_refuses_a_bomb_and_a_truncated_stream(tmp_path):
    data = gzip.compress(b" " * (4 << 20))
    assert len(files.gunzip(data, "x", "p", max_bytes=4 << 20)) == 4 << 20
    with pytest.raises(files.InputFileError, match=r"^x p expands to more than 1 MiB"):
        files.gunzip(data, "x", "p", max_bytes=1 << 20)
    with pytest.raises(files.InputFileError, match=r"^x p: truncated gzip data$"):
        files.gunzip(data[:-30], "x", "p", max_bytes=8 << 20)
    # two members are read as one stream
    assert files.gunzip(gzip.compress(b"ab") + gzip.compress(b"cd"), "x", "p",
                        max_bytes=10) == b"abcd"


def test_atomic_write_leaves_no_temporary_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_text("old")

    def boom(*a):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        files.atomic_write(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


# --------------------------------------------------------------------------------------------
# Liberty


@pytest.mark.parametrize("kind", ["directory", "empty", "random", "truncated gzip", "/dev/zero",
                                  "link to /dev/zero"])
def test_liberty_refuses_hostile_files(hostile, kind):
    if kind not in hostile:
        pytest.skip("no /dev/zero")
    path, text = hostile[kind]
    with pytest.raises(LibertyError) as e:
        liberty.load(path)
    msg = _one_line(e.value)
    assert str(path) in msg and text in msg
    if kind == "truncated gzip":
        assert msg.endswith("truncated gzip data")
    if kind == "random":
        assert "binary data" in msg or "gzip" in msg


def test_liberty_gzip_bomb_stops_at_the_limit(tmp_path, monkeypatch):
    bomb = _bomb(tmp_path / "bomb.lib.gz", 8 << 20)
    assert bomb.stat().st_size < 64 << 10
    monkeypatch.setattr(liberty, "MAX_LIBERTY_BYTES", 4 << 20)
    with pytest.raises(LibertyError) as e:
        liberty.parse_file(bomb)
    assert _one_line(e.value) == (f"liberty file {bomb} expands to more than 4 MiB when "
                                  "decompressed; the limit is that size")
    with pytest.raises(LibertyError, match="expands to more than 1 MiB"):
        liberty.read_text(bomb, max_bytes=1 << 20)


def test_liberty_file_over_the_limit(tmp_path):
    big = tmp_path / "big.lib"
    big.write_bytes(b" " * (2 << 20))
    with pytest.raises(LibertyError, match=r"is 2 MiB; the limit is 1 MiB$"):
        liberty.read_text(big, max_bytes=1 << 20)


def test_default_liberty_limit_covers_the_full_library():
    assert 256 << 20 == liberty.MAX_LIBERTY_BYTES
    assert COMPACT.stat().st_size < liberty.MAX_LIBERTY_BYTES // 100


# --------------------------------------------------------------------------------------------
# Netlist and activity files (rejected before any Yosys run)


@pytest.fixture(scope="module")
def compact_lib():
    return liberty.load(COMPACT)


@pytest.mark.parametrize("kind", ["directory", "/dev/zero", "link to /dev/zero"])
def test_netlist_refuses_non_regular_files(hostile, kind, compact_lib, tmp_path):
    if kind not in hostile:
        pytest.skip("no /dev/zero")
    path, _ = hostile[kind]
    with pytest.raises(NetlistError) as e:
        load_netlist(path, "top", compact_lib, workdir=tmp_path / "work")
    msg = _one_line(e.value)
    assert str(path) in msg and ("directory" in msg or "not a regular file" in msg)
    assert not (tmp_path / "work").exists()


def test_netlist_size_bound(tmp_path, compact_lib, monkeypatch):
    import gen.eda.netlist

    big = tmp_path / "big.v"
    big.write_bytes(b"// x\n" * 1000)
    monkeypatch.setattr(gen.eda.netlist, "MAX_NETLIST_BYTES", 1000)
    with pytest.raises(NetlistError) as e:
        load_netlist(big, "top", compact_lib, workdir=tmp_path / "work")
    assert _one_line(e.value) == f"netlist {big} is 5000 bytes; the limit is 1000 bytes"
    assert not (tmp_path / "work").exists()


@pytest.mark.parametrize("kind", ["directory", "/dev/zero", "link to /dev/zero", "empty",
                                  "random"])
def test_activity_refuses_hostile_files(hostile, kind):
    if kind not in hostile:
        pytest.skip("no /dev/zero")
    path, _ = hostile[kind]
    with pytest.raises(ActivityError) as e:
        read_activity(path, "tb/dut")
    msg = _one_line(e.value)
    assert str(path) in msg


def test_activity_size_bound(tmp_path, monkeypatch):
    import gen.eda.activity

    vcd = tmp_path / "w.vcd"
    vcd.write_text("$timescale 1ns $end\n" * 100)
    monkeypatch.setattr(gen.eda.activity, "MAX_ACTIVITY_BYTES", 1000)
    with pytest.raises(ActivityError) as e:
        read_activity(vcd, "tb/dut")
    assert _one_line(e.value) == f"activity file {vcd} is 2000 bytes; the limit is 1000 bytes"


# --------------------------------------------------------------------------------------------
# CGRA fabric files and programs


@pytest.mark.parametrize("kind", ["directory", "empty", "random", "/dev/zero",
                                  "link to /dev/zero"])
def test_fabric_file_refuses_hostile_files(hostile, kind, tmp_path):
    if kind not in hostile:
        pytest.skip("no /dev/zero")
    path, _ = hostile[kind]
    toml = tmp_path / f"f_{kind.replace('/', '_').replace(' ', '_')}.toml"
    if kind == "directory":
        toml.mkdir()
    elif kind.endswith("/dev/zero"):
        toml.symlink_to(DEV_ZERO)
    else:
        toml.write_bytes(path.read_bytes())
    with pytest.raises(ValueError) as e:
        load_fabric(toml)
    msg = _one_line(e.value)
    assert str(toml) in msg


def test_fabric_file_size_bound(tmp_path):
    from sim_models.cgra import fabric_file as gfab

    big = tmp_path / "big.toml"
    big.write_bytes(b"# x\n" * (gfab.MAX_FABRIC_BYTES // 4 + 1))
    with pytest.raises(ValueError, match=r"fabric file .*big\.toml is 1 MiB; the limit is 1 MiB"):
        load_fabric(big)


def test_program_file_refuses_hostile_files(hostile):
    fab = load_fabric("small")
    for kind, (path, _) in hostile.items():
        if kind in ("truncated gzip",):
            continue
        with pytest.raises(ValueError) as e:
            cgra_asm.assemble_file(path, fab)
        assert str(path) in _one_line(e.value), kind


@pytest.mark.parametrize("literal", ["9" * 5000, "-" + "9" * 5000, "0x" + "f" * 5000,
                                     "0b" + "1" * 5000, "1" + "0" * 65])
def test_huge_immediate_is_out_of_range_at_its_place(tmp_path, literal):
    prog = tmp_path / "huge.pasm"
    prog.write_text(f".columns c_iu0\n  imm {literal}\n")
    with pytest.raises(cgra_asm.AsmError) as e:
        cgra_asm.assemble_file(prog, load_fabric("small"))
    msg = _one_line(e.value)
    assert msg.startswith(f"{prog}:2:7: immediate ")
    assert "out of range for W = 32 (-2147483648..4294967295)" in msg
    assert len(msg) < 200
    assert (e.value.line, e.value.col) == (2, 7)


def test_huge_number_in_other_places_and_leading_zeros(tmp_path):
    fab = load_fabric("small")
    huge = "9" * 5000
    with pytest.raises(cgra_asm.AsmError, match=r"^p:2:7: number '0000.*' has a leading zero"):
        cgra_asm.assemble(f".columns c_iu0\n  imm {'0' * 5000}5\n", fab, "p")
    with pytest.raises(cgra_asm.AsmError) as e:
        cgra_asm.assemble(f".columns c_abu\n  jump {huge}\n", fab, "p")
    assert _one_line(e.value) == ("p:2:8: branch target 999999999999...9999 (5000 characters) "
                                  "outside 0..63")
    with pytest.raises(cgra_asm.AsmError) as e:
        cgra_asm.assemble(f".columns c_rf\n  rd {huge}\n", fab, "p")
    assert _one_line(e.value) == ("p:2:6: expected a register r0..r15, found "
                                  "'999999999999...9999 (5000 characters)'")


def test_damaged_cache_json_is_removed_not_trusted(tmp_path):
    good = tmp_path / "good.json"
    good.write_text('{"a": 1}')
    assert files.read_cache_json(good) == {"a": 1}
    assert files.read_cache_json(tmp_path / "none.json") is None
    assert files.read_cache_json(None) is None
    for text in ('{"a": 1', "[1, 2]", "", "\x00\x01"):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        assert files.read_cache_json(bad) is None and not bad.exists()
