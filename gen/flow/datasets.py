"""Data sets the families' example networks train on (family-free).

Digits: :func:`sklearn.datasets.load_digits` (1797 images of 8x8 pixels, intensities 0..16,
10 classes; bundled with scikit-learn, nothing is downloaded). Fixed split, no shuffling: the
last ``round(0.3 * 1797) = 539`` images test, the first 1258 train.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TEST_FRACTION", "load_data"]

#: Fraction of the digits (the last ones) held out for testing.
TEST_FRACTION = 0.3


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits images and labels: the last 30 % (539 images) test, the rest train.

    Returns
    -------
    x_train, y_train, x_test, y_test : numpy.ndarray
        Images as ``int64`` intensities 0..16 of shape ``(N, 8, 8)``, labels ``int64``.
    """
    # scikit-learn takes about a second to import: only when the data is asked for
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.asarray(digits.images, dtype=np.int64)
    labels = np.asarray(digits.target, dtype=np.int64)
    n_test = int(round(TEST_FRACTION * len(images)))
    n_train = len(images) - n_test
    return images[:n_train], labels[:n_train], images[n_train:], labels[n_train:]
