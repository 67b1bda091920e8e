# vadd.pasm -- vector add c = a + b of 16 elements on both ALU lanes of c_alu23
# (hand-scheduled for "small"; runs on "default")
#
# Data layout (32-bit little-endian words, byte addresses), lane L = 0, 1 works on
# elements e = 8*L + j, j = 0..7, in its own scratchpad lsuL:
#   lsuL: a[e] at 8*j, b[e] at 8*j + 4 (pairs, 0..63); c[e] at 64 + 4*j (64..95).
#
# Schedule: 3 rows per element and lane (the LSU does load a, load b, store: it is the
# bottleneck). alu0.out0 is the load pointer (+4 per load), alu1.out0 the store pointer;
# a goes to the LSU's out0, b to its out1, and one SIMD add computes both lanes' c, stored
# one period later. The first element is peeled (nothing to store yet), then a 3-row loop
# (`loop` and its 2 delay slots) runs 7 times and the last store follows. 26 cycles.

.columns c_abu c_iu0 c_iu1 c_lsu0 c_lsu1 c_alu0 c_alu1 c_alu23
#      c_abu         | c_iu0 | c_iu1          | c_lsu0                    | c_lsu1                    | c_alu0                  | c_alu1                  | c_alu23
       nop           | imm 4 | imm 7          |                           |                           |                         |                         |  # 4: pointer step; 7: iterations
       setl iu1.out0 |       | imm 64 -> out1 | ld32 alu0.out0 -> out0    | ld32 alu0.out0 -> out0    | add alu0.out0, iu0.out0 |                         |  # element 0: a -> out0
       nop           |       |                | ld32 alu0.out0 -> out1    | ld32 alu0.out0 -> out1    | add alu0.out0, iu0.out0 | pass iu1.out1           |  # b -> out1; alu1.out0 = 64: c pointer
       nop           |       |                |                           |                           |                         |                         | add [lsu0.out0, lsu1.out0], [lsu0.out1, lsu1.out1]  # c[0] = a + b on both lanes
top:   loop top      |       |                | ld32 alu0.out0 -> out0    | ld32 alu0.out0 -> out0    | add alu0.out0, iu0.out0 |                         |  # element j = 1..7: a -> out0
       nop           |       |                | ld32 alu0.out0 -> out1    | ld32 alu0.out0 -> out1    | add alu0.out0, iu0.out0 |                         |  # b -> out1
       nop           |       |                | st32 alu1.out0, alu2.out0 | st32 alu1.out0, alu3.out0 |                         | add alu1.out0, iu0.out0 | add [lsu0.out0, lsu1.out0], [lsu0.out1, lsu1.out1]  # c[j] = a + b; store c[j-1]
       halt          |       |                | st32 alu1.out0, alu2.out0 | st32 alu1.out0, alu3.out0 |                         |                         |  # store c[7]

