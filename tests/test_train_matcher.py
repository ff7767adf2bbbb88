"""Training the matcher's learned parts: each learns what it can be shown, and the shipped
files are what the committed training set gives."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

from upstate.awareness.embedding import unit

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location(
    "train_matcher", ROOT / "scripts" / "train_matcher.py"
)
train = importlib.util.module_from_spec(SPEC)
sys.modules[SPEC.name] = train  # its dataclass looks itself up there
SPEC.loader.exec_module(train)


def _rotated_set(rng: np.random.Generator, rotation: np.ndarray, name: str) -> object:
    """Messages that are their incident seen through `rotation`, with noise: what the
    identity gets mostly wrong and a learned map can undo."""
    dim = rotation.shape[0]
    incidents = unit(rng.normal(size=(12, dim)))
    labels = np.repeat(np.arange(12), 6)
    noise = 0.3 * rng.normal(size=(len(labels), dim)) / np.sqrt(dim)
    messages = unit(incidents[labels] @ rotation.T + noise)
    return train.TrainingSet(name, incidents, messages, labels, messages, np.ones(len(labels)))


def test_fit_learns_a_map_that_carries_over_to_unseen_incidents():
    rng = np.random.default_rng(7)
    dim = 16
    rotation, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    seen = [_rotated_set(rng, rotation, n) for n in "abcd"]
    unseen = _rotated_set(rng, rotation, "e")
    before = train.top1(np.eye(dim), unseen)
    w = train.fit(seen, lam=0.0001, tau=0.05, steps=300)
    assert before < 0.4
    assert train.top1(w, unseen) > 0.9


def test_the_pull_towards_the_identity_holds_the_map_back():
    rng = np.random.default_rng(7)
    dim = 16
    rotation, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    seen = [_rotated_set(rng, rotation, "a")]
    loose = train.fit(seen, lam=0.0001, tau=0.05, steps=200)
    held = train.fit(seen, lam=10.0, tau=0.05, steps=200)
    assert np.linalg.norm(held - np.eye(dim)) < 0.2 * np.linalg.norm(loose - np.eye(dim))


def _reports_set(rng: np.random.Generator, direction: np.ndarray, name: str) -> object:
    """Reports lean one way along `direction`, the other messages the other way."""
    dim = len(direction)
    reports = np.array([1.0] * 30 + [0.0] * 10)
    noise = rng.normal(size=(len(reports), dim))
    written = unit(noise + np.outer(np.where(reports == 1, 2.5, -2.5), direction))
    return train.TrainingSet(name, written[:1], written[:0], np.zeros(0), written, reports)


def test_the_report_classifier_learns_the_direction_and_weighs_both_classes_alike():
    rng = np.random.default_rng(3)
    direction = unit(rng.normal(size=(1, 16)))[0]
    seen = [_reports_set(rng, direction, n) for n in "abc"]
    unseen = _reports_set(rng, direction, "d")
    classifier = train.fit_report(seen, lam=0.001)
    # three reports to every other message, yet both kinds are told apart
    assert train.balanced_accuracy(classifier, unseen) > 0.9
    assert float(unit(classifier[None, :-1])[0] @ direction) > 0.8


def test_the_shipped_files_were_trained_on_the_committed_training_set():
    manifest = json.loads((train.OUT_DIR / "trained.json").read_text())
    assert manifest["trained_on_sha256"] == hashlib.sha256(train.TRAIN.read_bytes()).hexdigest()
    adapter = manifest["query-adapter.npy"]
    # The distilled model already reads customers' words as incidents' (it learned from the
    # same pages): the adapter, pulled towards the identity, may add little but never costs.
    assert adapter["held_out_top1"] >= adapter["held_out_top1_without"] - 0.01
    assert manifest["report-classifier.npy"]["held_out_balanced_accuracy"] > 0.85


def test_the_shipped_model_is_distilled_from_the_official_weights_on_the_training_set():
    manifest = json.loads((train.OUT_DIR / "manifest.json").read_text())
    distilled = manifest["distilled"]
    assert distilled["teacher_sha256"] == (
        "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"  # all-mpnet-base-v2
    )
    assert distilled["student_from_sha256"] == (
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"  # all-MiniLM-L6-v2
    )
    assert distilled["trained_on_sha256"] == hashlib.sha256(train.TRAIN.read_bytes()).hexdigest()
    assert manifest["source_weights_sha256"] == distilled["weights_sha256"]
