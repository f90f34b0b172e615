"""Boosted regression trees evaluated in numpy: the run-time half of a small learned classifier.

Training happens offline (``tools/train_damage_classifier.py`` uses
scikit-learn); what ships is a few arrays in an ``.npz`` file, so inference
needs numpy only and loads in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class TreeEnsemble:
    """A binary classifier of boosted regression trees, evaluated in numpy.

    The parameters (one row of nodes per tree: feature index, threshold,
    left and right child, leaf value; a leaf's children point to itself)
    are trained by ``tools/train_damage_classifier.py`` and ship as an
    ``.npz`` file. A sample goes left at a node when its feature is at most
    the threshold. The score is the initial log-odds plus the sum of the
    leaves it reaches; it is accepted above its kind's :attr:`cut` (one per
    kind of sample; infinite for a kind never accepted).

    Examples
    --------
    One stump on feature 0 (node 0 splits at 0.5; leaves 1 and 2):

    >>> stump = {"feature": np.array([[0, 0, 0]]), "threshold": np.array([[0.5, 0.0, 0.0]]),
    ...          "left": np.array([[1, 1, 2]]), "right": np.array([[2, 1, 2]]),
    ...          "value": np.array([[0.0, -2.0, 2.0]]), "base": 0.0, "cut": np.array([0.0]),
    ...          "names": np.array(["x"]), "depth": 1}
    >>> TreeEnsemble(stump).accepts(np.array([[0.2], [0.9]]), np.array([0, 0])).tolist()
    [False, True]
    """

    def __init__(self, parameters: dict[str, np.ndarray]) -> None:
        self.feature = parameters["feature"]
        self.threshold = parameters["threshold"]
        self.left, self.right = parameters["left"], parameters["right"]
        self.value = parameters["value"]
        self.base = float(parameters["base"])
        self.cut = np.asarray(parameters["cut"], np.float64)
        self.names = tuple(str(n) for n in parameters["names"])
        self.depth = int(parameters["depth"])

    @classmethod
    def load(cls, path: Path) -> TreeEnsemble:
        with np.load(path, allow_pickle=False) as stored:
            return cls({key: stored[key] for key in stored.files})

    def score(self, features: np.ndarray) -> np.ndarray:
        """Log-odds that each row of ``features`` (N x features) is damage."""
        trees = np.arange(len(self.feature))[:, None]
        node = np.zeros((len(self.feature), len(features)), np.int64)
        rows = np.arange(len(features))[None, :]
        for _ in range(self.depth):
            goes_left = features[rows, self.feature[trees, node]] <= self.threshold[trees, node]
            node = np.where(goes_left, self.left[trees, node], self.right[trees, node])
        return self.base + self.value[trees, node].sum(axis=0)

    def accepts(self, features: np.ndarray, kind: np.ndarray) -> np.ndarray:
        """Whether each row of ``features`` is judged damage, given its kind (an index into :attr:`cut`)."""
        return self.score(features) > self.cut[kind]
