"""The digits network (:mod:`gen.ternary.digits`) run through the RTL of the ternary engine.

The three layers of the trained network run on the generated Verilog of a ``ternary_engine``
(``n_i = n_o = 16``, ``k = 3``, ``image_width = 8``, ``weight_layers = 3``: all weights loaded
once) through the cocotb testbench of :mod:`verif.ternary.engine`, layer by layer: every layer
on all images, the next layer fed the engine's own output pixels (:class:`~verif.ternary.engine.
EnginePlan` with ``chain=True``). The class of an image is the argmax of the last layer's raw
sums (ties to the lowest class, as the golden model decides). Every output pixel of every layer
is compared with the golden model.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields

import numpy as np

from gen.flow.cache import Cache, cache_root, content_key
from gen.flow.family import instantiate
from gen.flow.sweep import source_digest
from verif import sim as sim_mod
from verif.ternary.engine import EngineConfig, EngineMismatch, EnginePlan, run

from .digits import train

__all__ = ["ENGINE_PARAMS", "DigitsRTLResult", "run_digits_rtl"]

#: Format of a cached result (build/cache/digits_rtl, keyed by the project's source as well).
_CACHE_VERSION = "digits-rtl-1"
#: The engine the network runs on.
ENGINE_PARAMS = {"n_i": 16, "n_o": 16, "k": 3, "image_width": 8, "latency": 1,
                 "weight_layers": 3}


@dataclass(frozen=True)
class DigitsRTLResult:
    """The digits test split (or its first images) classified by the engine's RTL.

    Attributes
    ----------
    module : str
        The engine's Verilog module.
    sim : str
        Simulator.
    images : int
        Test images run.
    float_accuracy, ternary_accuracy : float
        Of the trained float CNN and of the golden model, on the whole test split.
    golden_accuracy : float
        Of the golden model on the images run.
    rtl_accuracy : float
        Of the RTL's classes on the images run.
    matches_golden : bool
        Every output pixel of every layer equals the golden model's
        (:meth:`~verif.ternary.engine.EnginePlan.check`).
    mismatch : str or None
        The first difference, when there is one.
    predictions : numpy.ndarray
        The RTL's classes.
    cycles : int
        Clock cycles from reset to the last class scores.
    build_seconds, seconds : float
        Wall time of the build (0 when cached) and of the simulation.
    repro : str
        A shell line re-running this.
    """

    module: str
    sim: str
    images: int
    float_accuracy: float
    ternary_accuracy: float
    golden_accuracy: float
    rtl_accuracy: float
    matches_golden: bool
    mismatch: str | None
    predictions: np.ndarray
    cycles: int
    build_seconds: float
    seconds: float
    repro: str

    def describe(self) -> str:
        """str: One line with the accuracies, the check and the times."""
        return (f"digits through {self.module} ({self.sim}, {self.images} test images): float "
                f"{100 * self.float_accuracy:.2f} %, ternary golden "
                f"{100 * self.ternary_accuracy:.2f} %, RTL {100 * self.rtl_accuracy:.2f} % "
                f"(golden on these images {100 * self.golden_accuracy:.2f} %); RTL == golden: "
                f"{'yes' if self.matches_golden else 'NO'}; {self.cycles} cycles, build "
                f"{self.build_seconds:.1f} s, run {self.seconds:.1f} s")


def run_digits_rtl(images: int | None = None, sim: str | None = None, seed: int = 1,
                   progress=None, cache: bool = True) -> DigitsRTLResult:
    """Classify the digits test images with the engine's RTL.

    Parameters
    ----------
    images : int, optional
        Run the first ``images`` test images (1 to 539); None: all of them.
    sim : str, optional
        ``"icarus"`` or ``"verilator"``; default from ``$SIM``.
    seed : int
        Seed of the training (:func:`gen.ternary.digits.train`; cached).
    progress : callable, optional
        Called with a short text before each step.
    cache : bool
        Take a run that matched the golden model from the flow's cache (keyed by the project's
        source, the seed, the images and the simulator) and store a new one; False: simulate.

    Returns
    -------
    DigitsRTLResult

    Raises
    ------
    ValueError
        Bad ``images`` or ``seed``.
    RuntimeError
        If the build or the simulation fails.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"Seed must be a non-negative integer, not {seed!r}")
    note = progress or (lambda text: None)
    sim = sim_mod.prepare(sim)
    note("training (or loading) the digits network")
    result = train(seed=seed)
    n_test = result.n_test
    if images is None:
        images = n_test
    if isinstance(images, bool) or not isinstance(images, int) or not 1 <= images <= n_test:
        raise ValueError(f"Images must be an integer between 1 and {n_test}, not {images!r}")
    store, key = Cache(cache_root() / "digits_rtl" if cache else None), content_key(
        [_CACHE_VERSION, source_digest(), seed, images, sim])
    hit = store.load(key)
    if hit is not None and set(hit) == {f.name for f in fields(DigitsRTLResult)}:
        note("digits RTL run from the cache")
        return DigitsRTLResult(**{**hit, "predictions": np.asarray(hit["predictions"]),
                                  "build_seconds": 0.0, "seconds": 0.0})
    out = _simulate(result, images, sim, seed, note)
    if out.matches_golden:  # a mismatch is run again, never served from the cache
        store.store(key, {**asdict(out), "predictions": out.predictions.tolist()})
    return out


def _simulate(result, images: int, sim: str, seed: int, note) -> DigitsRTLResult:
    inst = instantiate("ternary_engine", ENGINE_PARAMS)
    plan = EnginePlan(EngineConfig.of(inst.component), result.layers,
                      result.test_images[:images], chain=True)
    repro = f"SIM={sim} edgeforge digits --images {images} --seed {seed}"
    note(f"simulating {images} images through {inst.module} ({sim})")
    t0 = time.perf_counter()
    report = run(inst, plan, sim=sim, check=False, repro=repro)
    seconds = time.perf_counter() - t0 - report.build_seconds
    try:
        plan.check(report.outputs, repro)
        mismatch = None
    except EngineMismatch as e:
        mismatch = str(e)
    classes = result.layers[-1].out_channels
    scores = np.array([p["sums"][:classes] for p in report.outputs[-1]], dtype=np.int64)
    predictions = np.argmax(scores, axis=1) if len(scores) == images else np.full(images, -1)
    labels = result.test_labels[:images]
    return DigitsRTLResult(
        module=inst.module, sim=sim, images=images, float_accuracy=result.float_accuracy,
        ternary_accuracy=result.ternary_accuracy,
        golden_accuracy=float(np.mean(result.test_predictions[:images] == labels)),
        rtl_accuracy=float(np.mean(predictions == labels)), matches_golden=mismatch is None,
        mismatch=mismatch, predictions=predictions, cycles=report.cycles,
        build_seconds=report.build_seconds, seconds=seconds, repro=repro)
