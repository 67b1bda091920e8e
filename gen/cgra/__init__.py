"""CGRA family of the flow (docs/cgra.md).

The fabric loader, the PASM assembler, the mesh router and the hand-scheduled kernels live in
:mod:`sim_models.cgra` (:mod:`~sim_models.cgra.fabric_file`, :mod:`~sim_models.cgra.asm`,
:mod:`~sim_models.cgra.route`, :mod:`~sim_models.cgra.programs`), below the testbenches.
"""
