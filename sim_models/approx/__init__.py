"""Numpy golden models of approximate multipliers and their error characterisation.

Numpy only: nothing here imports the RTL generators or the simulators.
"""

from .drum import SIGN_MODES, DrumModel, drum_operand
from .exact import ExactModel
from .metrics import (
    DEFAULT_CHUNK_PAIRS,
    DEFAULT_SAMPLES,
    ErrorAccumulator,
    ErrorMetrics,
    LutModel,
    characterise,
    error_metrics,
    lut_model,
)
from .roup import RoupModel, booth_digits, round_half_up

__all__ = [
    "DEFAULT_CHUNK_PAIRS",
    "DEFAULT_SAMPLES",
    "SIGN_MODES",
    "DrumModel",
    "ErrorAccumulator",
    "ErrorMetrics",
    "ExactModel",
    "LutModel",
    "RoupModel",
    "booth_digits",
    "characterise",
    "drum_operand",
    "error_metrics",
    "lut_model",
    "round_half_up",
]
