"""gen.eda.activity: toggle counts and time at 1 per bit from VCD and FST waveforms.

Numbers asserted here are derived by hand (from the handwritten VCD or the gcd testbench) or by
a second, deliberately simple reader built on pyvcd's tokenizer (:func:`reference`), never
copied from gen.eda.activity's own output.
"""

from __future__ import annotations

import gzip
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from vcd.reader import TokenKind, tokenize

from gen.eda import activity
from gen.eda.activity import Activity, ActivityError, read_activity

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
GCD_VCD = SHARED / "reference" / "gcd" / "gcd_sky130hd.vcd.gz"
needs_gcd = pytest.mark.skipif(not GCD_VCD.is_file(), reason=f"{GCD_VCD} is not present")
needs_iverilog = pytest.mark.skipif(
    shutil.which("iverilog") is None or shutil.which("vvp") is None,
    reason="Icarus Verilog (iverilog, vvp) is not installed")

_UNITS = {"s": 0, "ms": -3, "us": -6, "ns": -9, "ps": -12, "fs": -15}


# ---------------------------------------------------------------------------------------------
# the reference: pyvcd's tokenizer and a per-bit list of changes, evaluated the obvious way


def reference(path: Path, scope: tuple[str, ...], start: int | None = None,
              end: int | None = None, include_subscopes: bool = True
              ) -> tuple[float, int, int, dict, dict]:
    """(timescale, start, end, toggles, high) of a VCD, computed slowly and simply."""
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    stack: list[str] = []
    keys_of: dict[str, list[tuple]] = {}  # id code -> [key per bit, MSB first] per variable
    width: dict[str, int] = {}
    changes: dict[str, list[tuple[int, str]]] = {}  # id code -> [(time, full-width value)]
    timescale = 0.0
    time = None
    times: list[int] = []
    with opener(path, "rb") as stream:
        for token in tokenize(stream):
            kind = token.kind
            if kind is TokenKind.TIMESCALE:
                ts = token.data
                timescale = ts.magnitude.value * 10.0 ** _UNITS[ts.unit.value]
            elif kind is TokenKind.SCOPE:
                stack.append(token.data.ident)
            elif kind is TokenKind.UPSCOPE:
                stack.pop()
            elif kind is TokenKind.VAR:
                var = token.data
                inside = tuple(stack[:len(scope)]) == scope
                if not inside or (not include_subscopes and len(stack) != len(scope)):
                    continue
                if var.type_.value in ("real", "realtime", "event", "string"):
                    continue
                if var.bit_index is None:
                    indices = [None] if var.size == 1 else list(range(var.size - 1, -1, -1))
                elif isinstance(var.bit_index, int):
                    indices = [var.bit_index]
                else:
                    msb, lsb = var.bit_index
                    step = -1 if msb >= lsb else 1
                    indices = list(range(msb, lsb + step, step))
                rel = tuple(stack[len(scope):])
                keys_of.setdefault(var.id_code, []).append(
                    [(rel, var.reference, i) for i in indices])
                width[var.id_code] = var.size
            elif kind is TokenKind.CHANGE_TIME:
                time = token.data
                times.append(time)
            elif kind in (TokenKind.CHANGE_SCALAR, TokenKind.CHANGE_VECTOR):
                code = token.data.id_code
                if code not in width:
                    continue
                value = token.data.value
                w = width[code]
                if isinstance(value, int):
                    text = format(value, "b")
                else:
                    text = value.lower()
                if len(text) < w:
                    fill = "0" if text[0] == "1" else text[0]
                    text = fill * (w - len(text)) + text
                text = text[len(text) - w:]
                changes.setdefault(code, []).append((time if time is not None else -1, text))
    start = times[0] if start is None else start
    end = times[-1] if end is None else end
    toggles: dict = {}
    high: dict = {}
    for code, variables in keys_of.items():
        for position in range(width[code]):
            history = [(t, text[position]) for t, text in changes.get(code, [])]
            count = 0
            last_known = None
            for t, v in history:
                if t > end:
                    break
                if v in "01":
                    if last_known is not None and v != last_known and t > start:
                        count += 1
                    last_known = v
            at_one = 0
            value = "x"
            since = start
            for t, v in history:
                if t > end:
                    break
                if t <= start:
                    value = v
                    continue
                if value == "1":
                    at_one += t - since
                value, since = v, t
            if value == "1":
                at_one += end - since
            for keys in variables:
                key = keys[position]
                if key not in toggles:
                    toggles[key] = count
                    high[key] = at_one
    return timescale, start, end, toggles, high


def assert_matches_reference(act: Activity, path: Path, scope: tuple[str, ...],
                             include_subscopes: bool = True) -> None:
    timescale, start, end, toggles, high = reference(path, scope, act.start, act.end,
                                                     include_subscopes)
    assert act.timescale == pytest.approx(timescale)
    assert dict(act.bits) == toggles
    assert dict(act.high) == high


# ---------------------------------------------------------------------------------------------
# a handwritten VCD; expected numbers worked out by hand in the comments

HAND = """\
$date today $end
$version handmade $end
$comment a header comment with $dollar words $end
$timescale 10 ns $end
$scope module top $end
$var wire 1 ! clk $end
$var wire 8 " bus [7:0] $end
$var wire 8 # rev [0:7] $end
$var wire 1 $ \\esc.net[3] $end
$var real 64 % temp $end
$var wire 1 & sel [5] $end
$scope module child $end
$var wire 1 ! ck $end
$var wire 4 ' nib [ 3 : 0 ] $end
$var wire 1 (( x $end
$upscope $end
$upscope $end
$scope module other $end
$var wire 1 ) y $end
$upscope $end
$enddefinitions $end
#0
$dumpvars
0!
b0 "
bx #
x$
r1.5 %
0&
bz '
0((
1)
$end
#10
1!
b101 "
b1 #
z$
#20
0!
b1x "
1$
$comment spans
two lines with b1 ! tokens $end
#30
1! b11110000 #
b0101 '
0$
1((
#40
0!
x&
b11111111 "
#50
1&
1!
"""

# Whole dump [0, 50] ticks of 10 ns, scope "" (the root), key -> (toggles, ticks at 1):
T, TC = (("top",),), (("top", "child"),)
HAND_EXPECTED = {
    # 0@0 1@10 0@20 1@30 0@40 1@50: five toggles, at 1 during [10,20) and [30,40)
    T + ("clk", None): (5, 20),
    TC + ("ck", None): (5, 20),  # alias of clk
    # bus: 00000000@0, 00000101@10, 0000001x@20 (b1x left-extended with 0), 11111111@40
    T + ("bus", 0): (1, 20),  # 0 1 x 1: the x->1 after a known 1 is no toggle
    T + ("bus", 1): (1, 30),
    T + ("bus", 2): (3, 20),  # 0 1 0 1
    **{T + ("bus", i): (1, 10) for i in range(3, 8)},
    # rev [0:7]: xxxxxxxx@0, 00000001@10 (b1 -> rev[7]), 11110000@30
    **{T + ("rev", i): (1, 20) for i in range(0, 4)},  # x 0 1
    **{T + ("rev", i): (0, 0) for i in range(4, 7)},
    T + ("rev", 7): (1, 20),  # x 1 0
    T + ("esc.net[3]", None): (1, 10),  # x z 1 0
    T + ("sel", 5): (1, 0),  # 0 x 1: one toggle through x, at 1 only at the last instant
    **{TC + ("nib", i): (0, 20 if i in (0, 2) else 0) for i in range(4)},  # z -> 0101
    TC + ("x", None): (1, 20),
    (("other",), "y", None): (0, 50),
}


@pytest.fixture()
def hand(tmp_path: Path) -> Path:
    path = tmp_path / "hand.vcd"
    path.write_text(HAND)
    return path


def test_handwritten_whole_dump(hand: Path) -> None:
    act = read_activity(hand, "")
    assert act.timescale == pytest.approx(1e-8)
    assert (act.start, act.end) == (0, 50)
    assert act.duration == pytest.approx(50e-8)
    got = {key: (act.bits[key], act.high[key]) for key in act.bits}
    assert got == HAND_EXPECTED
    assert act.toggles(("top",), "temp", None) is None  # real: ignored
    assert act.scopes() == {("top",), ("top", "child"), ("other",)}
    assert_matches_reference(act, hand, ())


def test_handwritten_scope_and_subscopes(hand: Path) -> None:
    act = read_activity(hand, "top")
    assert act.scope == ("top",)
    assert act.toggles((), "clk", None) == 5
    assert act.toggles(("child",), "x", None) == 1
    assert act.toggles((), "y", None) is None
    assert act.scopes() == {(), ("child",)}
    flat = read_activity(hand, "top", include_subscopes=False)
    assert flat.scopes() == {()}
    assert flat.toggles(("child",), "x", None) is None
    assert_matches_reference(flat, hand, ("top",), include_subscopes=False)
    child = read_activity(hand, "top/child")
    assert dict(child.bits) == {((), "ck", None): 5, ((), "x", None): 1,
                                **{((), "nib", i): 0 for i in range(4)}}


def test_handwritten_window(hand: Path) -> None:
    # window (10, 40]: the changes at 10 are the baseline, those at 40 count
    act = read_activity(hand, "top", start=10e-8, end=40e-8)
    assert (act.start, act.end) == (10, 40)
    assert act.duration == pytest.approx(30e-8)
    assert act.toggles((), "clk", None) == 3  # 1@10 (baseline) 0@20 1@30 0@40
    assert act.high[((), "clk", None)] == 20  # [10,20) and [30,40)
    assert act.toggles((), "bus", 2) == 2  # 1@10 0@20 1@40
    assert act.high[((), "bus", 2)] == 10
    assert act.toggles((), "rev", 7) == 1
    assert act.toggles((), "sel", 5) == 0  # 0 then x at 40
    assert act.toggles((), "esc.net[3]", None) == 1  # z@10: no known value before 1@20
    assert act.high[((), "esc.net[3]", None)] == 10
    assert_matches_reference(act, hand, ("top",))
    # a window ending between two timestamps
    act = read_activity(hand, "top", end=35e-8)
    assert (act.start, act.end) == (0, 35)
    assert act.toggles((), "clk", None) == 3
    assert act.high[((), "clk", None)] == 15  # [10,20) and [30,35]
    assert_matches_reference(act, hand, ("top",))


def test_scope_separators_and_gzip(hand: Path, tmp_path: Path) -> None:
    packed = tmp_path / "hand.vcd.gz"
    packed.write_bytes(gzip.compress(hand.read_bytes()))
    disguised = tmp_path / "hand.dat"  # gzip recognised by content, not by name
    disguised.write_bytes(packed.read_bytes())
    dotted = read_activity(hand, "top.child")
    for other in (read_activity(packed, "top/child"), read_activity(disguised, "top.child")):
        assert dict(other.bits) == dict(dotted.bits)
        assert dict(other.high) == dict(dotted.high)
    assert read_activity(packed, "top/child").path == str(packed)


@pytest.mark.parametrize("chunk", [1, 5, 17, 64])
def test_tiny_chunks_give_the_same_counts(hand: Path, monkeypatch: pytest.MonkeyPatch,
                                          chunk: int) -> None:
    # value/identifier pairs, comments and lines split across chunk boundaries
    monkeypatch.setattr(activity, "_CHUNK", chunk)
    act = read_activity(hand, "")
    assert {key: (act.bits[key], act.high[key]) for key in act.bits} == HAND_EXPECTED
    act = read_activity(hand, "top", start=10e-8, end=40e-8)
    assert act.toggles((), "clk", None) == 3


def test_whitespace_variants(tmp_path: Path) -> None:
    # CRLF line ends, tabs, several changes per line, upper-case values, a 3-char id code,
    # a vector id code that starts with 'b' and a time-like id code ("#1")
    text = ("$timescale 1ps $end\r\n$scope module m $end\r\n"
            "$var wire 1 abc a $end\r\n$var wire 2 b v [1:0] $end\r\n"
            "$var wire 1 #1 t $end\r\n$upscope $end\r\n$enddefinitions $end\r\n"
            "#0\t0abc b00 b 0#1\r\n#5 1abc\tB1X b X#1\r\n#7 0abc b11 b 1#1\r\n#9 Zabc\r\n")
    path = tmp_path / "ws.vcd"
    path.write_bytes(text.encode())
    act = read_activity(path, "m")
    # a: 0 1 0 z -> 2 toggles, at 1 during [5,7); v[1]: 0 1 1; v[0]: 0 x 1; t: 0 x 1
    assert dict(act.bits) == {((), "a", None): 2, ((), "v", 1): 1, ((), "v", 0): 1,
                              ((), "t", None): 1}
    assert dict(act.high) == {((), "a", None): 2, ((), "v", 1): 4, ((), "v", 0): 2,
                              ((), "t", None): 2}
    assert_matches_reference(act, path, ("m",))


def test_activity_is_frozen(hand: Path) -> None:
    act = read_activity(hand, "top")
    with pytest.raises(AttributeError):
        act.start = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        act.bits[((), "clk", None)] = 0  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# random VCDs against the reference


def random_vcd(rng: random.Random) -> str:
    lines = ["$timescale 1 ns $end", "$scope module r $end"]
    codes = []
    nvars = rng.randint(1, 12)
    for n in range(nvars):
        code = "".join(rng.choice("!\"#$%&'()*+,-./0123456789:;<=>?@ABCDbs")
                       for _ in range(rng.randint(1, 3)))
        if code in {c for c, _ in codes}:
            continue
        size = rng.choice([1, 1, 1, 2, 3, 8])
        if size == 1:
            ref = rng.choice([f"n{n}", f"\\e{n}[{n}]", f"s{n} [{n}]"])
        else:
            ref = rng.choice([f"v{n} [{size - 1}:0]", f"w{n} [{n}:{n + size - 1}]"])
        if n == 3:
            lines += ["$scope module sub $end"]
        lines.append(f"$var wire {size} {code} {ref} $end")
        if codes and rng.random() < 0.2:  # an alias of the previous code, if widths agree
            prev, prev_size = codes[-1]
            if prev_size == size:
                lines.append(f"$var wire {size} {prev} alias{n} {'' if size == 1 else '[7:0]'}"
                             .rstrip() + " $end" if size in (1, 8) else "")
        codes.append((code, size))
    if nvars > 3:
        lines.append("$upscope $end")
    lines += ["$upscope $end", "$enddefinitions $end"]
    lines = [line for line in lines if line]
    t = 0
    for _ in range(rng.randint(1, 60)):
        lines.append(f"#{t}")
        for code, size in rng.sample(codes, rng.randint(0, len(codes))):
            if size == 1 and rng.random() < 0.8:
                lines.append(rng.choice("0011xz") + code)
            else:
                digits = "".join(rng.choice("0101xz") for _ in range(rng.randint(1, size)))
                lines.append(f"b{digits} {code}")
        t += rng.randint(0, 5)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(40))
def test_random_vcds_match_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / f"r{seed}.vcd"
    path.write_text(random_vcd(rng))
    monkeypatch.setattr(activity, "_CHUNK", rng.choice([3, 16, 100, 1 << 20]))
    monkeypatch.setattr(activity, "_BATCH", rng.choice([1, 7, 1 << 20]))
    try:
        act = read_activity(path, "r")
    except ActivityError as exc:  # a dump whose timestamps are all equal has no window
        assert "empty window" in str(exc)
        return
    assert_matches_reference(act, path, ("r",))
    if act.end - act.start >= 2:
        lo = rng.randint(act.start, act.end - 1)
        hi = rng.randint(lo + 1, act.end)
        act = read_activity(path, "r", start=lo * 1e-9, end=hi * 1e-9)
        assert (act.start, act.end) == (lo, hi)
        assert_matches_reference(act, path, ("r",))


# ---------------------------------------------------------------------------------------------
# the gcd gate-level dump (Icarus, sky130hd netlist)


@needs_gcd
def test_gcd_matches_reference() -> None:
    act = read_activity(GCD_VCD, "gcd_tb/gcd1")
    assert act.timescale == pytest.approx(1e-12)
    assert_matches_reference(act, GCD_VCD, ("gcd_tb", "gcd1"))


@needs_gcd
def test_gcd_numbers_from_the_testbench() -> None:
    act = read_activity(GCD_VCD, "gcd_tb.gcd1")
    # gcd_tb.v: clk flips every 2.5 ns from 0 until $finish at 125 ns (25 periods of 5 ns)
    assert (act.start, act.end) == (0, 125_000)
    assert act.toggles((), "clk", None) == 50
    assert act.high[((), "clk", None)] == 62_500
    # req_val: 0, 1 at 10 ns, 0 at 15 ns, 1 at 50 ns, 0 at 55 ns
    assert act.toggles((), "req_val", None) == 4
    assert act.high[((), "req_val", None)] == 10_000
    # req_msg = {b, a}: a 0 -> 5 -> 15, b 0 -> 10 -> 150
    expected = {i: 0 for i in range(32)}
    for old, new, shift in ((0, 5, 0), (5, 15, 0), (0, 10, 16), (10, 150, 16)):
        for bit in range(16):
            expected[bit + shift] += ((old ^ new) >> bit) & 1
    assert {i: act.toggles((), "req_msg", i) for i in range(32)} == expected
    # gate-level names are escaped one-bit variables, one key each, index None
    assert act.toggles((), "dpath.a_lt_b$in1[9]", None) is not None
    assert act.toggles((), "dpath.a_lt_b$in1", 9) is None
    assert ("TAP_0",) in act.scopes()


@needs_gcd
def test_gcd_window_and_flat_scope() -> None:
    act = read_activity(GCD_VCD, "gcd_tb/gcd1", start=20e-9, end=60e-9,
                        include_subscopes=False)
    assert act.scopes() == {()}
    assert act.toggles((), "clk", None) == 16  # 40 ns of a 5 ns clock
    assert act.toggles((), "req_val", None) == 2  # rises at 50 ns, falls at 55 ns
    assert_matches_reference(act, GCD_VCD, ("gcd_tb", "gcd1"), include_subscopes=False)


# ---------------------------------------------------------------------------------------------
# FST (pywellen) against the VCD of the same Icarus run

TESTBENCH = r"""
`timescale 1ns/1ps
module leaf(input clk, input [3:0] d, output reg [0:3] q);
  always @(posedge clk) q <= d;
endmodule
module tb;
  reg clk = 0;
  reg [7:0] cnt = 0;
  reg [3:0] d;
  wire [0:3] q;
  real r = 0.0;
  integer i = 0;
  event ev;
  // bit-blasted gate-level style names: descending, ascending and non-contiguous runs
  wire \a.b[1] , \a.b[0] , \w[9] , \w[10] , \y[9] , \y[11] , \y[10] , \lone[4] ;
  assign \a.b[1] = cnt[1];
  assign \a.b[0] = cnt[0];
  assign \w[9] = cnt[2];
  assign \w[10] = cnt[3];
  assign \y[9] = cnt[0];
  assign \y[10] = cnt[1];
  assign \y[11] = cnt[2];
  assign \lone[4] = d[2];
  reg [69:0] wide;  // wider than 64 bits: unknown first, then a twisted ring counter
  always @(posedge clk) wide <= (cnt == 6) ? 70'b0 : {wide[68:0], ~wide[69]};
  leaf u0(.clk(clk), .d(d), .q(q));
  always #5 clk = ~clk;
  always @(posedge clk) begin cnt <= cnt + 3; r <= r + 0.5; i <= i - 1; -> ev; end
  initial begin
    d = 4'bx;
    #12 d = 4'b1010;
    #20 d = 4'bz01x;
    #20 d = 4'b0101;
    #23 d = 4'b1x1z;
    #30 $finish;
  end
  initial begin $dumpfile(`DUMP); $dumpvars(0, tb); end
endmodule
"""


def simulate(tmp_path: Path, suffix: str) -> Path:
    src = tmp_path / "tb.v"
    src.write_text(TESTBENCH)
    out = tmp_path / f"tb.{suffix}"
    sim = tmp_path / f"sim_{suffix}"
    subprocess.run(["iverilog", f'-DDUMP="{out}"', "-o", str(sim), str(src)], check=True,
                   cwd=tmp_path, capture_output=True)
    args = ["vvp", "-n", str(sim)] + (["-fst"] if suffix == "fst" else [])
    subprocess.run(args, check=True, cwd=tmp_path, capture_output=True)
    assert out.is_file()
    return out


@needs_iverilog
def test_fst_matches_vcd_of_the_same_run(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    vcd = simulate(tmp_path, "vcd")
    fst = simulate(tmp_path, "fst")
    from_vcd = read_activity(vcd, "tb")
    assert_matches_reference(from_vcd, vcd, ("tb",))
    from_fst = read_activity(fst, "tb")
    assert (from_fst.start, from_fst.end, from_fst.timescale) == (
        from_vcd.start, from_vcd.end, from_vcd.timescale)
    assert dict(from_fst.bits) == dict(from_vcd.bits)
    assert dict(from_fst.high) == dict(from_vcd.high)
    monkeypatch.setattr(activity, "_BATCH", 5)  # many small batches from inside the callback
    small = read_activity(fst, "tb")
    assert dict(small.bits) == dict(from_vcd.bits) and dict(small.high) == dict(from_vcd.high)
    # by hand: $finish at 12+20+20+23+30 = 105 ns; clk flips at 5, 10, ..., 105 ns
    assert from_fst.end == 105_000
    assert from_fst.toggles((), "clk", None) == 21
    # \lone[4] = d[2]: x, 0 at 12 ns, 0 at 32, 1 at 52, x at 75 -> one toggle, at 1 for 23 ns
    assert from_fst.toggles((), "lone[4]", None) == 1
    assert from_fst.high[((), "lone[4]", None)] == 23_000
    assert from_fst.toggles((), "a.b[1]", None) is not None
    assert from_fst.toggles((), "w[10]", None) is not None
    assert from_fst.toggles((), "r", None) is None
    # wide: x until cleared at 25 ns (old cnt == 6); each later edge shifts in ~wide[69] = 1,
    # so wide[0] is 0 at 25 ns and 1 from 35 ns on, and wide[69] stays 0 up to 105 ns
    assert from_fst.toggles((), "wide", 0) == 1
    assert from_fst.toggles((), "wide", 69) == 0
    assert from_fst.toggles(("u0",), "q", 0) is not None  # [0:3] range kept
    whole = read_activity(fst, "")
    assert dict(whole.bits) == {(("tb",) + k[0], k[1], k[2]): v for k, v in from_vcd.bits.items()}
    for start, end in ((12e-9, 60e-9), (None, 52e-9), (33.5e-9, None)):
        a = read_activity(vcd, "tb/u0", start=start, end=end, include_subscopes=False)
        b = read_activity(fst, "tb/u0", start=start, end=end, include_subscopes=False)
        assert dict(a.bits) == dict(b.bits) and dict(a.high) == dict(b.high)
        assert (a.start, a.end) == (b.start, b.end)


@needs_iverilog
def test_fst_errors(tmp_path: Path) -> None:
    fst = simulate(tmp_path, "fst")
    with pytest.raises(ActivityError, match=r"scope tb/nope is not in .*tb\.fst; "
                                            r"scopes under tb: u0"):
        read_activity(fst, "tb/nope")
    with pytest.raises(ActivityError, match="outside the dump"):
        read_activity(fst, "tb", end=1e-3)
    blob, pos, kept, no_hier = fst.read_bytes(), 0, [], []
    while pos < len(blob):  # drop the geometry block (3), then also the hierarchy block (4)
        length = int.from_bytes(blob[pos + 1:pos + 9], "big")
        if blob[pos] != 3:
            kept.append(blob[pos:pos + 1 + length])
            if blob[pos] != 4:
                no_hier.append(blob[pos:pos + 1 + length])
        pos += 1 + length
    broken = tmp_path / "broken.fst"
    broken.write_bytes(b"".join(kept))
    with pytest.raises(ActivityError, match=r"broken\.fst: pywellen cannot read it"):
        read_activity(broken, "tb")
    broken.write_bytes(b"".join(no_hier))
    with pytest.raises(ActivityError, match=r"broken\.fst: FST file without hierarchy block"):
        read_activity(broken, "tb")


# ---------------------------------------------------------------------------------------------
# errors


def write(tmp_path: Path, text: str, name: str = "bad.vcd") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


HEAD = "$timescale 1ns $end\n$scope module m $end\n$var wire 1 ! a $end\n$upscope $end\n"


def test_error_missing_and_unreadable(tmp_path: Path) -> None:
    missing = tmp_path / "nope.vcd"
    with pytest.raises(ActivityError, match=r"nope\.vcd does not exist"):
        read_activity(missing, "m")
    with pytest.raises(ActivityError, match=r" is a directory, not a VCD or FST file$"):
        read_activity(tmp_path, "m")


def test_error_not_a_waveform(tmp_path: Path) -> None:
    with pytest.raises(ActivityError, match=r"junk\.vcd is not a VCD or FST file"):
        read_activity(write(tmp_path, "hello world\n", "junk.vcd"), "m")
    with pytest.raises(ActivityError, match=r"empty\.vcd is not a VCD or FST file: it is empty"):
        read_activity(write(tmp_path, "", "empty.vcd"), "m")
    broken = tmp_path / "broken.vcd.gz"
    broken.write_bytes(gzip.compress(HEAD.encode())[:20])
    with pytest.raises(ActivityError, match=r"cannot read .*broken\.vcd\.gz"):
        read_activity(broken, "m")


def test_error_bad_timescale(tmp_path: Path) -> None:
    path = write(tmp_path, "$date x $end\n$timescale\n 3 parsecs\n$end\n$enddefinitions $end\n")
    with pytest.raises(ActivityError, match=r"bad\.vcd:2: bad timescale '3 parsecs'"):
        read_activity(path, "")
    path = write(tmp_path, "$scope module m $end\n$upscope $end\n$enddefinitions $end\n#0\n")
    with pytest.raises(ActivityError, match=r"bad\.vcd:3: no \$timescale"):
        read_activity(path, "m")


def test_error_truncated_header(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "$var wire 1 \" b")
    with pytest.raises(ActivityError, match=r"bad\.vcd:5: truncated header.*inside \$var"):
        read_activity(path, "m")


def test_error_unknown_id_code(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "$enddefinitions $end\n#0\n0!\n#1\n1!\n1?\n")
    with pytest.raises(ActivityError, match=r"bad\.vcd:10: unknown identifier code '\?'"):
        read_activity(path, "m")
    path = write(tmp_path, HEAD + "$enddefinitions $end\n#0\nb10 !!\n")
    with pytest.raises(ActivityError, match=r"bad\.vcd:7: unknown identifier code '!!'"):
        read_activity(path, "m")


def test_error_malformed_body(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "$enddefinitions $end\n#0\n0!\n#1a\n")
    with pytest.raises(ActivityError, match=r"bad\.vcd:8: bad timestamp b'#1a'"):
        read_activity(path, "m")
    path = write(tmp_path, HEAD + "$enddefinitions $end\n#5\n0!\n#3\n1!\n")
    with pytest.raises(ActivityError, match=r"bad\.vcd:8: time goes backwards to #3"):
        read_activity(path, "m")
    path = write(tmp_path, HEAD + "$enddefinitions $end\n#0\n0!\n?!\n")
    with pytest.raises(ActivityError, match=r"bad\.vcd:8: unexpected token b'\?!'"):
        read_activity(path, "m")
    path = write(tmp_path, HEAD + "$enddefinitions $end\n#0\n0!\nb1\n")
    with pytest.raises(ActivityError, match=r"bad\.vcd:8: value change without identifier"):
        read_activity(path, "m")
    path = write(tmp_path, "$timescale 1ns $end\n$var wire 4 ! v [7:0] $end\n"
                           "$enddefinitions $end\n")
    with pytest.raises(ActivityError, match=r"bad\.vcd:2: malformed \$var reference"):
        read_activity(path, "")


def test_error_scope_not_found(tmp_path: Path, hand: Path) -> None:
    with pytest.raises(ActivityError) as info:
        read_activity(hand, "top/childx")
    assert str(info.value) == f"scope top/childx is not in {hand}; scopes under top: child"
    with pytest.raises(ActivityError) as info:
        read_activity(hand, "nowhere")
    assert str(info.value) == f"scope nowhere is not in {hand}; top-level scopes: other, top"
    many = HEAD.replace("$upscope $end\n", "") + "".join(
        f"$scope module s{i:02d} $end\n$upscope $end\n" for i in range(12)) + "$upscope $end\n"
    path = write(tmp_path, many + "$enddefinitions $end\n#0\n0!\n#1\n")
    with pytest.raises(ActivityError, match=r"scopes under m: s00, s01, .*, s09, "
                                            r"\.\.\. \(2 more\)$"):
        read_activity(path, "m.s99")


@needs_gcd
def test_error_scope_not_found_gcd() -> None:
    with pytest.raises(ActivityError) as info:
        read_activity(GCD_VCD, "gcd_tb/gcd9")
    assert str(info.value) == f"scope gcd_tb/gcd9 is not in {GCD_VCD}; scopes under gcd_tb: gcd1"


def test_error_window(hand: Path) -> None:
    with pytest.raises(ActivityError, match=r"empty window for .*hand\.vcd: start 3e-07 s >= "
                                            r"end 2e-07 s"):
        read_activity(hand, "top", start=30e-8, end=20e-8)
    with pytest.raises(ActivityError, match=r"outside the dump of .*hand\.vcd, which covers "
                                            r"\[0 s, 5e-07 s\]"):
        read_activity(hand, "top", end=60e-8)
    with pytest.raises(ActivityError, match="outside the dump"):
        read_activity(hand, "top", start=-10e-8)
    no_time = write(hand.parent, HEAD + "$enddefinitions $end\n")
    with pytest.raises(ActivityError, match="has no timestamps"):
        read_activity(no_time, "m")


@pytest.mark.parametrize("chunk", [3, 1 << 20])
def test_changes_before_the_first_timestamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            chunk: int) -> None:
    monkeypatch.setattr(activity, "_CHUNK", chunk)
    path = write(tmp_path, HEAD + "$enddefinitions $end\n$dumpvars\n1!\n$end\n"
                                  "#5\n0!\n#10\n1!\n#20\n")
    act = read_activity(path, "m")
    # window [5, 20]: 1 (undated), 0 at 5 -> baseline 0; 1 at 10 -> one toggle, 10 ticks at 1
    assert (act.start, act.end) == (5, 20)
    assert (act.bits[((), "a", None)], act.high[((), "a", None)]) == (1, 10)
    assert_matches_reference(act, path, ("m",))
    path = write(tmp_path, HEAD + "$enddefinitions $end\n1!\n#5\n#9\n0!\n")
    act = read_activity(path, "m")  # 1 before 5 is the baseline: at 1 during [5, 9)
    assert (act.bits[((), "a", None)], act.high[((), "a", None)]) == (1, 4)


def test_wide_vector_and_long_identifier_codes(tmp_path: Path) -> None:
    # more than 65536 bit slots (two-pass radix order) and identifier codes longer than 3
    # (binary search) and than 9 characters (64-bit hash) of the code lookup
    text = ("$timescale 1 us $end\n$scope module w $end\n"
            "$var wire 70000 ! big [69999:0] $end\n$var wire 1 abcd n4 $end\n"
            "$var wire 1 identifier_code_of_22 n22 $end\n$upscope $end\n"
            "$enddefinitions $end\n#0\nb0 !\n0abcd\n0identifier_code_of_22\n"
            "#1\nb1 !\n1abcd\n#2\nb10 !\n0abcd\n1identifier_code_of_22\n"
            "#3\nb1x !\n0identifier_code_of_22\n#4\nb11 !\n")
    path = write(tmp_path, text)
    act = read_activity(path, "w")
    assert act.timescale == pytest.approx(1e-6)
    # big[0]: 0 1 0 x 1 -> three toggles (the last through x), at 1 during [1,2) and at 4
    assert (act.bits[((), "big", 0)], act.high[((), "big", 0)]) == (3, 1)
    # big[1]: 0 0 1 1 1 -> 1 toggle, at 1 during [2,4]
    assert (act.bits[((), "big", 1)], act.high[((), "big", 1)]) == (1, 2)
    assert act.bits[((), "big", 69999)] == 0
    assert (act.bits[((), "n4", None)], act.high[((), "n4", None)]) == (2, 1)
    assert (act.bits[((), "n22", None)], act.high[((), "n22", None)]) == (2, 1)
    assert_matches_reference(act, path, ("w",))
    bad = write(tmp_path, text + "1identifier_code_of_23\n", "bad2.vcd")
    with pytest.raises(ActivityError, match=r"bad2\.vcd:24: unknown identifier code "
                                            r"'identifier_code_of_23'"):
        read_activity(bad, "w")


# ---------------------------------------------------------------------------------------------
# FST hierarchies compressed with LZ4 (as Verilator writes them)


def lz4_compress(data: bytes) -> bytes:
    """LZ4 block format without the size prefix, as FST stores it (the lz4 package)."""
    import lz4.block

    return lz4.block.compress(data, store_size=False)


def test_lz4_block_decoder() -> None:
    rng = random.Random(5)
    data = (b"x" * 300 + bytes(rng.randrange(256) for _ in range(500)) + b"scope tb.u0 " * 40
            + bytes(rng.randrange(4) for _ in range(3000)))
    packed = lz4_compress(data)
    assert len(packed) < len(data)
    assert activity._lz4_decompress(packed, len(data)) == data
    with pytest.raises(ValueError, match="LZ4"):
        activity._lz4_decompress(packed[:-5], len(data))


def recompress_hierarchy(fst: Path, out: Path, kind: int) -> None:
    """Copy an FST file with its gzip hierarchy block rewritten as LZ4 (6) or LZ4 twice (7)."""
    blob = fst.read_bytes()
    pieces, pos = [], 0
    while pos < len(blob):
        length = int.from_bytes(blob[pos + 1:pos + 9], "big")
        block = blob[pos:pos + 1 + length]
        if block[0] == 4:
            raw = gzip.decompress(block[17:])
            if kind == 6:
                body = lz4_compress(raw)
            else:
                once = lz4_compress(raw)
                size, varint = len(once), bytearray()
                while True:
                    varint.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
                    size >>= 7
                    if not size:
                        break
                body = bytes(varint) + lz4_compress(once)
            block = (bytes([kind]) + (len(body) + 16).to_bytes(8, "big")
                     + len(raw).to_bytes(8, "big") + body)
        pieces.append(block)
        pos += 1 + length
    out.write_bytes(b"".join(pieces))


@needs_iverilog
@pytest.mark.parametrize("kind", [6, 7])
def test_fst_with_lz4_hierarchy(tmp_path: Path, kind: int) -> None:
    fst = simulate(tmp_path, "fst")
    lz4 = tmp_path / f"lz4_{kind}.fst"
    recompress_hierarchy(fst, lz4, kind)
    expected = read_activity(fst, "tb")
    got = read_activity(lz4, "tb")
    assert dict(got.bits) == dict(expected.bits)
    assert dict(got.high) == dict(expected.high)
    assert got.toggles((), "w[10]", None) is not None


def test_without_allocator_tuning(hand: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(activity, "_TUNE_MALLOC", False)
    act = read_activity(hand, "")
    assert {key: (act.bits[key], act.high[key]) for key in act.bits} == HAND_EXPECTED


def test_transitions_count_x_and_z_as_halves_like_opensta(tmp_path: Path) -> None:
    """0<->1 is one transition, a change to or from X/Z half of one; the first value is free."""
    body = ["$timescale 1ns $end", "$scope module m $end",
            "$var wire 1 ! a $end", "$var wire 1 \" b $end", "$var wire 1 # c $end",
            "$var wire 2 $ v [1:0] $end", "$upscope $end", "$enddefinitions $end",
            "#0", "x!", "0\"", "1#", "bxx $",
            "#1", "0!", "x\"", "0#", "b01 $",       # a: x->0 (1/2); b: 0->x; c: 1->0; v: x->0/1
            "#2", "1!", "0\"", "z#", "b11 $",       # b: x->0 (0->x->0 is one); c: 0->z
            "#3", "1!", "1\"", "1#", "b10 $",       # a: repeated 1 is no change; c: z->1
            "#4"]
    act = read_activity(write(tmp_path, "\n".join(body) + "\n", "xz.vcd"), "m")
    key = {n: ((), n, None) for n in "abc"}
    assert act.transitions[key["a"]] == 1.5  # x->0 (1/2), 0->1 (1)
    assert act.transitions[key["b"]] == 2.0  # 0->x, x->0 (1/2 each), 0->1 (1)
    assert act.transitions[key["c"]] == 2.0  # 1->0 (1), 0->z, z->1 (1/2 each)
    assert act.transitions[((), "v", 1)] == 1.5  # x->0, 0->1
    assert act.transitions[((), "v", 0)] == 1.5  # x->1, 1->0 ... 1->1 at #2: none
    # the toggle counts keep their own definition (X is not a value)
    assert (act.bits[key["a"]], act.bits[key["b"]], act.bits[key["c"]]) == (1, 1, 2)


@pytest.mark.parametrize("window", [{"start": float("nan")}, {"end": float("inf")},
                                    {"start": float("-inf")}, {"end": "1"}])
def test_window_must_be_finite(hand: Path, window) -> None:
    with pytest.raises(ActivityError, match=r"^window (start|end) must be a finite time in "
                                            r"seconds, not [^\n]+$"):
        read_activity(hand, "", **window)


def test_binary_garbage_is_one_clean_line(tmp_path: Path) -> None:
    for data in (b"$\x00\x01\xff\xfe\x1b[31m red\n\x00", b"$date \xe2\x80\xae\x1b[2J\n"):
        path = tmp_path / "bin.vcd"
        path.write_bytes(data)
        with pytest.raises(ActivityError) as err:
            read_activity(path, "")
        text = str(err.value)
        assert "bin.vcd" in text and "\n" not in text and text.isprintable(), text
