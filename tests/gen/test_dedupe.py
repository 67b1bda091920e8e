"""gen.eda.dedupe and ``synthesize(merge=True)``: identical modules are mapped once and every
original module is reported as if it had been mapped on its own."""

from __future__ import annotations

from gen.eda.dedupe import dedupe
from gen.eda.synth import synthesize

# two copies of a leaf that differ only in an $auto$ name, each inside a copy of a wrapper,
# a different leaf, and a copy whose output is unused (Yosys drops that instance)
DESIGN = r"""
module top(input [3:0] a, input [3:0] b, output [3:0] y, output [3:0] z, output [3:0] w);
  \top.w0  w0 (.a(a), .b(b), .y(y));
  \top.w1  w1 (.a(b), .b(a), .y(z));
  \top.other  other (.a(a), .y(w));
  \top.w2  w2 (.a(a), .b(a), .y());
endmodule

module \top.w0 (input [3:0] a, input [3:0] b, output [3:0] y);
  \top.w0.leaf  leaf (.a(a), .b(b), .y(y));
endmodule

module \top.w1 (input [3:0] a, input [3:0] b, output [3:0] y);
  \top.w1.leaf  leaf (.a(a), .b(b), .y(y));
endmodule

module \top.w2 (input [3:0] a, input [3:0] b, output [3:0] y);
  \top.w2.leaf  leaf (.a(a), .b(b), .y(y));
endmodule

module \top.w0.leaf (input [3:0] a, input [3:0] b, output [3:0] y);
  wire [3:0] \$auto$verilog_backend.cc:1:dump_module$7 ;
  assign \$auto$verilog_backend.cc:1:dump_module$7  = a * b;
  assign y = \$auto$verilog_backend.cc:1:dump_module$7 ;
endmodule

module \top.w1.leaf (input [3:0] a, input [3:0] b, output [3:0] y);
  wire [3:0] \$auto$verilog_backend.cc:1:dump_module$8 ;
  assign \$auto$verilog_backend.cc:1:dump_module$8  = a * b;
  assign y = \$auto$verilog_backend.cc:1:dump_module$8 ;
endmodule

module \top.w2.leaf (input [3:0] a, input [3:0] b, output [3:0] y);
  wire [3:0] \$auto$verilog_backend.cc:1:dump_module$9 ;
  assign \$auto$verilog_backend.cc:1:dump_module$9  = a * b;
  assign y = \$auto$verilog_backend.cc:1:dump_module$9 ;
endmodule

module \top.other (input [3:0] a, output [3:0] y);
  assign y = a + 4'd3;
endmodule
"""


def test_identical_modules_merge_bottom_up():
    d = dedupe(DESIGN, "top")
    assert d.merged == 4
    assert d.stands_for["top.w1"] == d.stands_for["top.w2"] == "top.w0"
    assert d.stands_for["top.w1.leaf"] == "top.w0.leaf"
    assert d.stands_for["top.other"] == "top.other"
    assert d.children["top"] == {"w0": "top.w0", "w1": "top.w1", "other": "top.other",
                                 "w2": "top.w2"}
    assert d.text.count("\nmodule ") == 4  # top, w0, its leaf and other
    assert "\\top.w0  w1 (" in d.text and "\\top.w1" not in d.text


def test_nothing_to_merge_or_names_used_otherwise_keeps_the_text():
    different = DESIGN.replace("a * b;\n  assign y = \\$auto$verilog_backend.cc:1:dump_module$8",
                               "a + b;\n  assign y = \\$auto$verilog_backend.cc:1:dump_module$8")
    d = dedupe(different, "top")
    assert d.stands_for["top.w1"] == "top.w1" and d.stands_for["top.w2"] == "top.w0"
    parameterised = DESIGN.replace("\\top.w1  w1 (", "\\top.w1  #(.N(1)) w1 (")
    kept = dedupe(parameterised, "top")
    assert kept.text == parameterised and kept.merged == 0


def test_merged_synthesis_reports_every_original_module(tmp_path):
    src = tmp_path / "top.v"
    src.write_text(DESIGN)
    plain = synthesize(src, top="top", build_dir=tmp_path / "b1", cache_dir=tmp_path / "c")
    merged = synthesize(src, top="top", build_dir=tmp_path / "b2", cache_dir=tmp_path / "c",
                        merge=True)
    # the unused copy is gone in both, every other module is there once
    assert set(merged.per_module) == set(plain.per_module)
    assert "top.w2" not in merged.per_module
    assert all(r["instances"] == 1 for r in merged.per_module.values())
    assert merged.per_module["top.w1.leaf"] == merged.per_module["top.w0.leaf"]
    # the totals are those of the merged netlist, summed over the original modules
    assert abs(sum(r["area_um2"] for r in merged.per_module.values())
               - merged.area_um2) < 1e-6
    assert sum(merged.cells.values()) == sum(r["cells"] for r in merged.per_module.values())
