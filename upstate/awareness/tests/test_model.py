"""The shipped model, run for real: vectors are unit length and meaning beats wording."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from upstate.awareness.embedding import DIMENSIONS, MODEL_DIR, OnnxMiniLM, get_embedder

AUTH = (
    "Authentication latency degraded. Affected: Login, SSO. We are investigating elevated "
    "response times on sign-in requests. Some users may see timeouts when logging in."
)
INVOICES = "Invoice PDFs cannot be generated. Affected: Billing."


def test_it_embeds_to_unit_vectors():
    vectors = get_embedder().embed(["your login keeps timing out", "hello"])
    assert vectors.shape == (2, DIMENSIONS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_it_reads_a_complaint_as_close_to_its_incident():
    # The stock all-MiniLM-L6-v2 gives 0.59996 for this pair (fp32); the shipped model, distilled
    # from all-mpnet-base-v2 on support-style text, reads them closer still.
    message, incident, other = get_embedder().embed(["your login keeps timing out", AUTH, INVOICES])
    assert float(message @ incident) > 0.55
    assert float(message @ other) < 0.2


def test_meaning_beats_wording():
    message, auth, invoices = get_embedder().embed(["i cant sign in, it hangs", AUTH, INVOICES])
    assert message @ auth > message @ invoices + 0.2


def test_the_model_loads_once_per_process():
    assert get_embedder() is get_embedder()


def test_batch_and_single_agree():
    texts = ["my invoices page is blank", "a much longer message about the dashboard being empty"]
    batch = get_embedder().embed(texts)
    single = np.vstack([get_embedder().embed([t]) for t in texts])
    assert np.array_equal(batch, single)


@pytest.mark.parametrize(
    "damaged, written_by",
    [
        ("minilm-l6-v2.int8.onnx", "manifest.json"),
        ("tokenizer.json", "manifest.json"),
        ("query-adapter.npy", "trained.json"),
        ("report-classifier.npy", "trained.json"),
    ],
)
def test_a_damaged_model_file_is_refused(tmp_path, damaged, written_by):
    for path in MODEL_DIR.iterdir():
        shutil.copyfile(path, tmp_path / path.name)
    with open(tmp_path / damaged, "r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    with pytest.raises(RuntimeError, match=f"{damaged} does not match {written_by}"):
        OnnxMiniLM(tmp_path)


def test_the_copied_model_loads(tmp_path):
    # the refusal above is about the damage, not about loading from another folder
    for path in MODEL_DIR.iterdir():
        shutil.copyfile(path, tmp_path / path.name)
    assert OnnxMiniLM(tmp_path).embed(["x"]).shape == (1, DIMENSIONS)


def test_loading_the_model_writes_nothing_under_home(tmp_path):
    # ONNX Runtime keeps a device id under $HOME unless its telemetry is off.
    import os
    import subprocess
    import sys

    code = "from upstate.awareness.embedding import OnnxMiniLM; OnnxMiniLM().embed(['x'])"
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("ORT_DISABLE_TELEMETRY", None)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    assert list(tmp_path.iterdir()) == []
