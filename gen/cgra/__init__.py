"""CGRA family of the flow (docs/cgra.md): its plug-in to :mod:`gen.flow`.

* :mod:`~gen.cgra.family`: the ``cgra`` design and :data:`~gen.cgra.family.FAMILY`, the
  :class:`gen.flow.family.Family` hooks (``energy --kernel``, the ``asm`` command, the report
  section);
* :mod:`~gen.cgra.fabric`: energy per kernel run from gate-level simulation
  (:class:`~gen.cgra.fabric.KernelRun` on :mod:`gen.flow.bench`) and kernel output error;
* :mod:`~gen.cgra.report`: the CGRA section of ``edgeforge report``;
* :mod:`~gen.cgra.asm_cli`: ``edgeforge asm``.

The fabric loader, the PASM assembler, the mesh router and the hand-scheduled kernels live in
:mod:`sim_models.cgra` (:mod:`~sim_models.cgra.fabric_file`, :mod:`~sim_models.cgra.asm`,
:mod:`~sim_models.cgra.route`, :mod:`~sim_models.cgra.programs`), below the testbenches.
"""
