# dot.pasm -- dot product of two vectors of 16 (hand-scheduled for "small"; runs on "default")
#
# Data layout (32-bit little-endian words, byte addresses):
#   lsu0: a[i] at 4*i (0..60); the result sum_i a[i]*b[i] is stored at 64.
#   lsu1: b[i] at 4*i (0..60).
#
# Schedule: one multiply-accumulate per cycle, software-pipelined. Every body row loads
# a[i], b[i] at the pointer alu0.out0 (+4 per row), multiplies the pair loaded in the
# previous row (both mul lanes compute it; lane 0 is used) and adds the previous product to
# alu1.out0. Before the first loads the FU outputs are 0, so the pipeline fills with 0 + 0*0.
# The loop body is 4 rows (the `loop` row and its 2 delay slots and one more), 4 iterations.
# 21 cycles.

.columns c_abu c_iu0 c_lsu0 c_lsu1 c_mul01 c_alu0 c_alu1
#      c_abu         | c_iu0 | c_lsu0                    | c_lsu1         | c_mul01                  | c_alu0                  | c_alu1
       nop           | imm 4 |                           |                |                          |                         |  # step 4 bytes = loop count 4
       setl iu0.out0 |       |                           |                |                          |                         |  # 4 iterations of 4 rows
top:   nop           |       | ld32 alu0.out0            | ld32 alu0.out0 | mul lsu0.out0, lsu1.out0 | add alu0.out0, iu0.out0 | add alu1.out0, mul0.out0  # cycle c: load element c-2, multiply c-3, accumulate c-4
       loop top      |       | ld32 alu0.out0            | ld32 alu0.out0 | mul lsu0.out0, lsu1.out0 | add alu0.out0, iu0.out0 | add alu1.out0, mul0.out0
       nop           |       | ld32 alu0.out0            | ld32 alu0.out0 | mul lsu0.out0, lsu1.out0 | add alu0.out0, iu0.out0 | add alu1.out0, mul0.out0  # delay slot
       nop           |       | ld32 alu0.out0            | ld32 alu0.out0 | mul lsu0.out0, lsu1.out0 | add alu0.out0, iu0.out0 | add alu1.out0, mul0.out0  # delay slot
       nop           |       |                           |                | mul lsu0.out0, lsu1.out0 |                         | add alu1.out0, mul0.out0  # drain: multiply element 15
       nop           |       |                           |                |                          |                         | add alu1.out0, mul0.out0  # drain: accumulate element 15
       halt          |       | st32 alu0.out0, alu1.out0 |                |                          |                         |  # alu0.out0 = 64

