"""Sentence embeddings behind one small interface, so the back-end can be swapped.

The shipped back-end runs all-MiniLM-L6-v2 (int8) under ONNX Runtime on one thread, from the
files in ./model: nothing is downloaded. The model loads once per process, on first use, and
is shared by every thread of that process.

Two small parts are learned from bench/match_train.json by scripts/train_matcher.py:

- the query adapter: customers describe what they see ("the spinner goes forever") where status
  updates describe causes ("elevated response times on sign-in"); a linear map of message
  vectors moves a message towards how its incident would be written (incident vectors stay as
  the model makes them);
- the report classifier: whether a message reports that something is wrong at all. A question
  about a feature ("can the Slack app post to a private channel?") is close in meaning to an
  incident on that feature, yet it is not about the incident.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "model"
DIMENSIONS = 384
MAX_TOKENS = 256  # what all-MiniLM-L6-v2 was trained with; longer text is cut
ADAPTER_FILE = "query-adapter.npy"
REPORT_FILE = "report-classifier.npy"  # the weights, then the bias, of a logistic regression
TRAINED_MANIFEST = "trained.json"


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 (len(texts), DIMENSIONS), each row L2-normalised (dot product = cosine)."""
        ...

    def adapt(self, vectors: np.ndarray) -> np.ndarray:
        """Message vectors mapped towards how incidents are written, still unit length; a
        back-end without a trained map returns them unchanged."""
        ...

    def report_probability(self, vectors: np.ndarray) -> np.ndarray:
        """For each message vector (as written, not adapted), the probability that the
        message reports a problem rather than asks a question."""
        ...


class OnnxMiniLM:
    name = "all-MiniLM-L6-v2-int8"

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        # ONNX Runtime keeps a telemetry id under $HOME unless told not to.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        manifest = json.loads((model_dir / "manifest.json").read_text())
        trained = json.loads((model_dir / TRAINED_MANIFEST).read_text())
        model_path = model_dir / "minilm-l6-v2.int8.onnx"
        # The files are what the export and training scripts wrote, not a truncated or
        # swapped copy.
        for path, digest, written_by in (
            (model_path, manifest["onnx_sha256"], "manifest.json"),
            (model_dir / "tokenizer.json", manifest["tokenizer_sha256"], "manifest.json"),
            *(
                (model_dir / name, trained[name]["sha256"], TRAINED_MANIFEST)
                for name in (ADAPTER_FILE, REPORT_FILE)
            ),
        ):
            with open(path, "rb") as f:
                if hashlib.file_digest(f, "sha256").hexdigest() != digest:
                    raise RuntimeError(f"{path.name} does not match {written_by}")
        self.query_map = np.load(model_dir / ADAPTER_FILE).astype(np.float32)
        report = np.load(model_dir / REPORT_FILE).astype(np.float32)
        self.report_weights, self.report_bias = report[:-1], float(report[-1])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        # tokenizer.json pads every text to 128 tokens; one text per run needs no padding.
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        # One thread: on a small box a second one spins against the web server for nothing.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        # One text per run: dynamic int8 quantization scales activations over the whole
        # batch, padding included, so a batched text would get a slightly different vector
        # from the same text alone (as a match request embeds it).
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row] = self._embed_one(text)
        return vectors

    def adapt(self, vectors: np.ndarray) -> np.ndarray:
        return unit(np.asarray(vectors, dtype=np.float32) @ self.query_map.T)

    def report_probability(self, vectors: np.ndarray) -> np.ndarray:
        logits = np.asarray(vectors, dtype=np.float32) @ self.report_weights + self.report_bias
        return 1.0 / (1.0 + np.exp(-logits))

    def _embed_one(self, text: str) -> np.ndarray:
        encoded = self.tokenizer.encode(text)
        ids = np.array([encoded.ids], dtype=np.int64)
        mask = np.array([encoded.attention_mask], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        with self._lock:  # one inference at a time per process: it has one thread anyway
            (vectors,) = self.session.run(None, feed)
        return vectors[0]


_embedder: Embedder | None = None
_loading = threading.Lock()


def get_embedder() -> Embedder:
    """The process's embedder, loaded on first use."""
    global _embedder
    if _embedder is None:
        with _loading:
            if _embedder is None:
                _embedder = OnnxMiniLM()
    return _embedder


def unit(vectors: np.ndarray) -> np.ndarray:
    """Each row (or the one vector) scaled to length 1, in the dtype it came in."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f4")
