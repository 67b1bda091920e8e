# fir.pasm -- 8-tap FIR filter y[n] = sum_k h[k]*x[n+k] over 24 samples, n = 0..16
# (hand-scheduled for "small"; runs on "default")
#
# Data layout (32-bit little-endian words, byte addresses):
#   lsu0: x[j] at 4*j (0..92); the even outputs y[2p] at 128 + 4*p (p = 0..8).
#   lsu1: h[k] at 4*k (0..28); the odd outputs y[2p+1] at 128 + 4*p (p = 0..7).
#
# Schedule: two outputs y[n], y[n+1] (n = 2p) per 10-row period, two MACs per cycle: lsu0
# streams x[n..n+8] (pointer alu0.out0), alu1 delays it by one cycle, lsu1 streams h[k]
# (addresses from iu1); mul lane 0 computes h[k]*x[n+k] and lane 1 h[k]*x[n+k+1]; alu2/alu3
# accumulate in out0 and write the finished sums to out1, where they stay until the next
# period stores them (pointer alu0.out1). The first period is peeled (nothing to store
# yet), the loop body runs for pairs 1..8, the last two rows finish pair 8 (y[17], beyond
# the valid part, is not stored; its product reads the word after x). 94 cycles.

.columns c_abu c_iu0 c_iu1 c_lsu0 c_lsu1 c_mul01 c_alu0 c_alu1 c_alu23
#      c_abu         | c_iu0           | c_iu1           | c_lsu0                    | c_lsu1                    | c_mul01                               | c_alu0                          | c_alu1         | c_alu23
       nop           | imm 128 -> out1 | imm 8 -> out1   |                           |                           |                                       |                                 |                |  # y pointer; iterations
       setl iu1.out1 | imm 4           | imm -24 -> out1 |                           |                           |                                       | pass iu0.out1 -> out1           |                |  # alu0.out1 = 128: y pointer
       nop           |                 | imm 0           | ld32 alu0.out0            |                           |                                       | add alu0.out0, iu0.out0         | pass lsu0.out0 |  # x[n] (pointer 4n)
       nop           |                 | imm 4           | ld32 alu0.out0            | ld32 iu1.out0             |                                       | add alu0.out0, iu0.out0         | pass lsu0.out0 |  # x[n+1], h[0]
       nop           |                 | imm 8           | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 |  # y[n] += h[0]*x[n], y[n+1] += h[0]*x[n+1]
       nop           |                 | imm 12          | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 | pass [mul0.out0, mul1.out0] -> out0
       nop           |                 | imm 16          | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0
       nop           |                 | imm 20          | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0
       nop           |                 | imm 24          | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0
       nop           |                 | imm 28          | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0
       nop           |                 |                 | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu1.out1         | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0  # x[n+8], h[7]; pointer back to 4(n+2)
       nop           |                 |                 |                           |                           | mul lsu1.out0, [alu1.out0, lsu0.out0] |                                 | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0
top:   nop           |                 | imm 0           | ld32 alu0.out0            |                           |                                       | add alu0.out0, iu0.out0         | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out1  # x[n]; y[n-2], y[n-1] complete in alu2/alu3.out1
       nop           |                 | imm 4           | ld32 alu0.out0            | ld32 iu1.out0             |                                       | add alu0.out0, iu0.out0         | pass lsu0.out0 |  # x[n+1], h[0]
       nop           |                 | imm 8           | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 |  # y[n] += h[0]*x[n], y[n+1] += h[0]*x[n+1]
       nop           |                 | imm 12          | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 | pass [mul0.out0, mul1.out0] -> out0
       nop           |                 | imm 16          | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0
       nop           |                 | imm 20          | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0
       nop           |                 | imm 24          | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0
       loop top      |                 | imm 28          | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu0.out0         | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0
       nop           |                 |                 | ld32 alu0.out0            | ld32 iu1.out0             | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out0, iu1.out1         | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0  # x[n+8], h[7]; pointer back to 4(n+2)
       nop           |                 |                 | st32 alu0.out1, alu2.out1 | st32 alu0.out1, alu3.out1 | mul lsu1.out0, [alu1.out0, lsu0.out0] | add alu0.out1, iu0.out0 -> out1 | pass lsu0.out0 | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out0  # store y[n-2] (lsu0), y[n-1] (lsu1)
       nop           |                 |                 |                           |                           |                                       |                                 |                | add [alu2.out0, alu3.out0], [mul0.out0, mul1.out0] -> out1  # y[16] complete (lane 1: y[17], not stored)
       halt          |                 |                 | st32 alu0.out1, alu2.out1 |                           |                                       |                                 |                |  # store y[16]

