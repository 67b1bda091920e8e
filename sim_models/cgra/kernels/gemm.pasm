# gemm.pasm -- C = A @ B for 4x4 matrices (hand-scheduled for "small"; runs on "default")
#
# Data layout (32-bit little-endian words, byte addresses), for LSU m = 0, 1:
#   lsum: column m of B at 0 + 4*k and column m + 2 of B at 16 + 4*k (k = 0..3);
#         A[i][2m] at 32 + 8*i and A[i][2m + 1] at 36 + 8*i (i = 0..3);
#         C[i][m] at 64 + 8*i and C[i][m + 2] at 68 + 8*i.
#
# Schedule: row i of C in a 12-row loop body (4 iterations), two MACs per cycle: the RF
# holds row i of A in r0..r3 and reads A[i][k] every cycle; lsu0 and lsu1 stream B[k][j]
# and B[k][j+1] (addresses from iu0, the same in both scratchpads); mul0/mul1 multiply
# A[i][k] by them and alu2/alu3 accumulate C[i][j], C[i][j+1] (j = 0: out0, j = 2: out1).
# The 4 remaining LSU slots of a period load row i+1 of A (pointer alu0.out0) and store the
# 4 results (pointer alu1.out0); the RF's write port moves row i+1 of A into r0..r3 right
# after the last read of each register. The prologue loads row 0 of A. 54 cycles.

.columns c_abu c_iu0 c_iu1 c_lsu0 c_lsu1 c_rf c_mul01 c_alu0 c_alu1 c_alu23
#      c_abu         | c_iu0  | c_iu1 | c_lsu0                    | c_lsu1                    | c_rf                 | c_mul01                              | c_alu0                  | c_alu1                  | c_alu23
       nop           | imm 32 | imm 4 |                           |                           |                      |                                      |                         |                         |  # A row 0; step 4 = iterations
       setl iu1.out0 | imm 64 |       | ld32 iu0.out0 -> out1     | ld32 iu0.out0 -> out1     |                      |                                      | add iu0.out0, iu1.out0  |                         |  # A[0][0], A[0][2]
       nop           | imm 0  |       | ld32 alu0.out0 -> out0    | ld32 alu0.out0 -> out0    | wr r0, lsu0.out1     |                                      | add alu0.out0, iu1.out0 | pass iu0.out0           |  # A[0][1], A[0][3]; alu0 = 40: A pointer; alu1 = 64: C pointer
       nop           |        |       |                           |                           | wr r1, lsu0.out0     |                                      |                         |                         |
       nop           |        |       |                           |                           | wr r2, lsu1.out1     |                                      |                         |                         |  # r3 is written by the next row
top:   nop           | imm 4  |       | ld32 iu0.out0             | ld32 iu0.out0             | rw r0, r3, lsu1.out0 |                                      |                         |                         |  # row i: B[k][j] x A[i][k] for j = 0, 1 (lsu0, lsu1)
       nop           | imm 8  |       | ld32 iu0.out0             | ld32 iu0.out0             | rd r1                | mul rf0.out0, [lsu0.out0, lsu1.out0] |                         |                         |
       nop           | imm 12 |       | ld32 iu0.out0             | ld32 iu0.out0             | rd r2                | mul rf0.out0, [lsu0.out0, lsu1.out0] |                         |                         | pass [mul0.out0, mul1.out0] -> out0
       nop           | imm 16 |       | ld32 iu0.out0             | ld32 iu0.out0             | rd r3                | mul rf0.out0, [lsu0.out0, lsu1.out0] |                         |                         | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0
       nop           | imm 20 |       | ld32 iu0.out0             | ld32 iu0.out0             | rd r0                | mul rf0.out0, [lsu0.out0, lsu1.out0] |                         |                         | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0  # j = 2, 3
       nop           | imm 24 |       | ld32 iu0.out0             | ld32 iu0.out0             | rd r1                | mul rf0.out0, [lsu0.out0, lsu1.out0] |                         |                         | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0
       nop           | imm 28 |       | ld32 iu0.out0             | ld32 iu0.out0             | rd r2                | mul rf0.out0, [lsu0.out0, lsu1.out0] |                         |                         | pass [mul0.out0, mul1.out0] -> out1  # C[i][0..1] complete in alu2/alu3.out0
       nop           |        |       | ld32 iu0.out0             | ld32 iu0.out0             | rd r3                | mul rf0.out0, [lsu0.out0, lsu1.out0] |                         |                         | add [alu2.out1, alu3.out1], [mul0.out0, mul1.out0] -> out1
       nop           |        |       | ld32 alu0.out0 -> out1    | ld32 alu0.out0 -> out1    |                      | mul rf0.out0, [lsu0.out0, lsu1.out0] | add alu0.out0, iu1.out0 |                         | add [alu2.out1, alu3.out1], [mul0.out0, mul1.out0] -> out1  # A[i+1][0], A[i+1][2] -> out1
       loop top      |        |       | ld32 alu0.out0 -> out0    | ld32 alu0.out0 -> out0    | wr r0, lsu0.out1     |                                      | add alu0.out0, iu1.out0 |                         | add [alu2.out1, alu3.out1], [mul0.out0, mul1.out0] -> out1  # A[i+1][1], A[i+1][3] -> out0; C[i][2..3] complete next cycle
       nop           |        |       | st32 alu1.out0, alu2.out0 | st32 alu1.out0, alu3.out0 | wr r1, lsu0.out0     |                                      |                         | add alu1.out0, iu1.out0 |  # store C[i][0], C[i][1]
       nop           | imm 0  |       | st32 alu1.out0, alu2.out1 | st32 alu1.out0, alu3.out1 | wr r2, lsu1.out1     |                                      |                         | add alu1.out0, iu1.out0 |  # store C[i][2], C[i][3]
       halt          |        |       |                           |                           |                      |                                      |                         |                         |

