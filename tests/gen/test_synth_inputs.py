"""The synthesis step with bad inputs, failures and interruptions: nothing written before the
inputs are valid, one-line messages, no scratch directories left behind, damaged cache entries
recomputed."""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path

import pytest

from gen.approx.multiplier import energy
from gen.eda import liberty as liberty_mod
from gen.eda import synth as synth_mod
from gen.eda.synth import SynthesisError, check_liberty, sweep_stale, synthesize
from gen.flow.bench import BenchOptions
from gen.flow.family import instantiate

# the runs below share the cached Yosys results of one xdist worker with tests/gen/test_synth.py
pytestmark = pytest.mark.xdist_group("synth")

ROOT = Path(__file__).resolve().parents[2]
COMPACT = ROOT / "gen" / "eda" / "data" / "sky130_fd_sc_hd_compact.lib"
TINY = ("exact", {"width": 4})


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch):
    for var in ("LIBERTY", "PDK_ROOT", "YOSYS"):
        monkeypatch.delenv(var, raising=False)


def _tree(root: Path) -> dict[str, int]:
    """Every path under ``root`` with its size (directories as -1)."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): (-1 if p.is_dir() else p.stat().st_size)
            for p in sorted(root.rglob("*"))}


def _dead_pid() -> int:
    for pid in range(4_000_000, 3_000_000, -7919):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            continue
    pytest.skip("no free process id found")


def _bad_libraries(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Bad liberty files and a piece of the message each must give."""
    d = tmp_path / "bad"
    d.mkdir()
    out = {}
    (d / "dir.lib").mkdir()
    out["directory"] = (d / "dir.lib", "is a directory, not a file")
    (d / "empty.lib").write_bytes(b"")
    out["empty"] = (d / "empty.lib", "is empty")
    (d / "random.lib").write_bytes(bytes(range(256)) * 8)
    out["random"] = (d / "random.lib", "binary data")
    (d / "trunc.lib.gz").write_bytes(gzip.compress(COMPACT.read_bytes())[:-100])
    out["truncated gzip"] = (d / "trunc.lib.gz", "truncated gzip data")
    (d / "junk.lib").write_text("this is not liberty\n")
    out["not liberty"] = (d / "junk.lib", "has no library group")
    text = COMPACT.read_text()
    (d / "cut.lib").write_text(text[: len(text) // 2])
    out["cut in half"] = (d / "cut.lib", "cut.lib:")
    if Path("/dev/zero").exists():
        (d / "zero.lib").symlink_to("/dev/zero")
        out["link to /dev/zero"] = (d / "zero.lib", "is not a regular file")
    return out


def test_check_liberty_accepts_the_embedded_library_and_names_the_file():
    assert check_liberty() == COMPACT
    assert check_liberty(str(COMPACT)) == COMPACT


def test_check_liberty_rejects_bad_files_in_one_line(tmp_path):
    for kind, (path, part) in _bad_libraries(tmp_path).items():
        with pytest.raises(ValueError) as e:
            check_liberty(path)
        msg = str(e.value)
        assert "\n" not in msg and part in msg and str(path) in msg, (kind, msg)


def test_check_liberty_gzip_bomb(tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.lib.gz"
    bomb.write_bytes(gzip.compress(b" " * (3 << 20)))
    monkeypatch.setattr(liberty_mod, "MAX_LIBERTY_BYTES", 1 << 20)
    with pytest.raises(ValueError, match=r"^liberty file .*bomb\.lib\.gz expands to more than "
                                         r"1 MiB when decompressed; the limit is that size$"):
        check_liberty(bomb)


def test_check_liberty_without_nand2(tmp_path):
    lib = tmp_path / "nonand.lib"
    text = COMPACT.read_text()
    assert text.count('function : "(!A) | (!B)";') == 1
    lib.write_text(text.replace('function : "(!A) | (!B)";', 'function : "(A&B)";'))
    with pytest.raises(SynthesisError) as e:
        check_liberty(lib)
    assert str(e.value) == (f"liberty file {lib} has no two-input NAND cell (function !(A&B)); "
                            "gate equivalents need one")


def test_synthesize_with_a_bad_liberty_writes_nothing(tmp_path):
    build, cache = tmp_path / "build", tmp_path / "cache"
    (build / "old").mkdir(parents=True)
    (build / "old" / "keep.txt").write_text("x")
    (cache / "runs").mkdir(parents=True)
    before = (_tree(build), _tree(cache))
    for kind, (path, part) in _bad_libraries(tmp_path).items():
        with pytest.raises(ValueError) as e:
            synthesize(instantiate(*TINY), liberty=path, build_dir=build, cache_dir=cache)
        assert part in str(e.value) and "\n" not in str(e.value), kind
        assert (_tree(build), _tree(cache)) == before, kind


def test_synthesize_with_a_bad_verilog_file_writes_nothing(tmp_path):
    build, cache = tmp_path / "build", tmp_path / "cache"
    (tmp_path / "d.v").mkdir()
    with pytest.raises(ValueError, match=r"^Verilog file .*d\.v is a directory, not a file$"):
        synthesize(tmp_path / "d.v", top="x", build_dir=build, cache_dir=cache)
    (tmp_path / "bin.v").write_bytes(b"module x;\x00\x01 endmodule")
    with pytest.raises(ValueError, match=r"bin\.v holds binary data"):
        synthesize(tmp_path / "bin.v", top="x", build_dir=build, cache_dir=cache)
    (tmp_path / "ok.v").write_text("module x(input a, output y); assign y = a; endmodule\n")
    with pytest.raises(ValueError, match="not a plain Verilog identifier"):
        synthesize(tmp_path / "ok.v", top="x y", build_dir=build, cache_dir=cache)
    assert not build.exists() and not cache.exists()


def test_interrupted_yosys_leaves_no_scratch_directory(tmp_path, monkeypatch):
    build, cache = tmp_path / "build", tmp_path / "cache"
    real_run = subprocess.run

    def interrupted(args, *a, **k):
        if "-s" in args:  # the synthesis run, not the feature probe
            raise KeyboardInterrupt
        return real_run(args, *a, **k)

    monkeypatch.setattr(synth_mod.subprocess, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        synthesize(instantiate(*TINY), build_dir=build, cache_dir=cache)
    leftovers = [p for p in cache.rglob("*") if ".tmp" in p.name]
    assert leftovers == []
    assert list((cache / "runs").iterdir()) == []


def test_failing_yosys_is_one_line_with_the_file_and_the_log(tmp_path):
    build, cache = tmp_path / "build", tmp_path / "cache"
    bad = tmp_path / "bad.v"
    bad.write_text("module bad(input a, output y);\n  assign y = a +;\nendmodule\n")
    with pytest.raises(SynthesisError) as e:
        synthesize(bad, top="bad", build_dir=build, cache_dir=cache)
    msg = str(e.value)
    log = build / "bad" / "synth.log"
    assert "\n" not in msg
    assert msg.startswith(f"{bad}:2: Yosys: syntax error") and msg.endswith(f" (full log: {log})")
    assert msg.count("syntax error") == 1 and log.is_file()
    assert [p for p in cache.rglob("*") if ".tmp" in p.name] == []
    assert list((cache / "runs").iterdir()) == []


def test_stale_scratch_of_a_dead_process_is_swept(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    (tmp_path / f"abc.tmp{dead}").mkdir()
    (tmp_path / f"abc.tmp{dead}" / "synth.log").write_text("x")
    (tmp_path / f".x.json.tmp{dead}").write_text("{")
    (tmp_path / f"abc.tmp{alive}").mkdir()
    (tmp_path / "abc").mkdir()
    removed = sweep_stale(tmp_path)
    assert sorted(p.name for p in removed) == sorted([f"abc.tmp{dead}", f".x.json.tmp{dead}"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abc", f"abc.tmp{alive}"]


def test_damaged_cache_entry_is_recomputed_and_stale_scratch_swept(tmp_path):
    build, cache = tmp_path / "build", tmp_path / "cache"
    first = synthesize(instantiate(*TINY), build_dir=build, cache_dir=cache)
    assert not first.cached
    (run,) = (cache / "runs").iterdir()
    stale = cache / "runs" / f"{run.name}.tmp{_dead_pid()}"
    stale.mkdir()
    done = run / "result.json"
    done.write_text(done.read_text()[:40])  # truncated JSON
    again = synthesize(instantiate(*TINY), build_dir=build, cache_dir=cache)
    assert not again.cached and again.area_um2 == first.area_um2
    assert not stale.exists()
    third = synthesize(instantiate(*TINY), build_dir=build, cache_dir=cache)
    assert third.cached and third.area_um2 == first.area_um2
    # a damaged plain-text liberty copy is rewritten, not used
    (copy,) = (cache / "liberty").iterdir()
    copy.write_text("library (")
    done.write_text("[]")
    fourth = synthesize(instantiate(*TINY), build_dir=build, cache_dir=cache)
    assert not fourth.cached and fourth.area_um2 == first.area_um2
    assert copy.stat().st_size > 100_000


def test_energy_flows_check_the_liberty_before_writing(tmp_path):
    junk = tmp_path / "junk.lib"
    junk.write_text("library (x) {\n  cell (a) {\n")
    with pytest.raises(ValueError, match=r"junk\.lib"):
        BenchOptions.make(liberty=junk, sim="icarus")
    with pytest.raises(ValueError, match=r"junk\.lib"):
        energy(instantiate(*TINY), liberty=junk, build_root=tmp_path / "b",
               cache_dir=tmp_path / "c")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.lib"]
