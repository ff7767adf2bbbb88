"""Train the two small parts incident matching learns: the query adapter and the report
classifier (upstate/awareness/embedding.py says what they are for).

Run by a maintainer when the training set or the model changes (the result is committed under
upstate/awareness/model/, with trained.json recording the files' sha256 and how they scored):

    .venv/bin/python scripts/train_matcher.py

It reads bench/match_train.json: sets of incidents as one status page would have them live at
once, each with customer messages that belong to one of them or to none. That set was written
apart from the evaluation set (bench/match_eval.json), which this script never reads, so
bench/match.py measures the adapter on incidents and messages it has not seen.

The adapter is a 384 x 384 matrix W: a message's reading vector q becomes W q / |W q|. Training
minimises, for every message, the cross-entropy of the softmax of cos(W q, incident) / tau over
the incidents of its set (an incident's vector being the mean of its passage vectors, as the
matcher scores it), plus lambda * |W - I|^2, which keeps W near the model's own space. Lambda
and tau are chosen by leave-one-set-out cross-validation on the training sets.

The report classifier is a logistic regression on a message's vector as written: the messages
that belong to an incident are reports, the others (questions, requests, thanks) are not, the
two classes weighted alike. Its L2 weight is chosen the same way, by balanced accuracy on the
set left out.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# One BLAS thread: for matrices this small, threads cost more in handing work over than they
# give (measured: four times slower per step with two).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from upstate.awareness.embedding import unit  # noqa: E402

TRAIN = ROOT / "bench" / "match_train.json"
OUT_DIR = ROOT / "upstate" / "awareness" / "model"
# the grid around what the training pages chose as they grew (lambda 0.002 to 0.01, tau 0.03
# to 0.05); tau 0.1 and lambda 0.001 did worse on every run
LAMBDAS = (0.002, 0.005, 0.01, 0.02)
TAUS = (0.03, 0.05)
STEPS = 300
LEARNING_RATE = 0.01
REPORT_LAMBDAS = (0.0001, 0.001, 0.01)
REPORT_STEPS = 2000


@dataclass
class TrainingSet:
    name: str
    incidents: np.ndarray  # (incidents, dim): mean passage vector of each
    messages: np.ndarray  # (messages, dim): reading vectors of the messages of an incident
    labels: np.ndarray  # (messages,): the row in `incidents` each message belongs to
    written: np.ndarray  # (all messages, dim): every message's vector as written
    reports: np.ndarray  # (all messages,): 1 where the message belongs to an incident


def fit(sets: list[TrainingSet], lam: float, tau: float, steps: int = STEPS) -> np.ndarray:
    """W, by Adam on the mean cross-entropy plus lam * |W - I|^2."""
    dim = sets[0].incidents.shape[1]
    identity = np.eye(dim)
    w = identity.copy()
    first, second = np.zeros_like(w), np.zeros_like(w)
    count = sum(len(s.labels) for s in sets)
    for step in range(1, steps + 1):
        grad = 2 * lam * (w - identity)
        for s in sets:
            u = s.messages @ w.T
            norms = np.linalg.norm(u, axis=1, keepdims=True)
            q = u / norms
            logits = (q @ s.incidents.T) / tau
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(s.labels)), s.labels] -= 1  # d loss / d logits
            d_q = (p / tau) @ s.incidents
            # through the normalisation: only the part of d_q across q moves it
            d_u = (d_q - (d_q * q).sum(axis=1, keepdims=True) * q) / norms
            grad += d_u.T @ s.messages / count
        first = 0.9 * first + 0.1 * grad
        second = 0.999 * second + 0.001 * grad**2
        corrected = np.sqrt(second / (1 - 0.999**step)) + 1e-8
        w -= LEARNING_RATE * (first / (1 - 0.9**step)) / corrected
    return w


def top1(w: np.ndarray, s: TrainingSet) -> float:
    """Share of the set's messages whose closest incident (after W) is their own."""
    scores = unit(s.messages @ w.T) @ s.incidents.T
    return float((scores.argmax(axis=1) == s.labels).mean())


def cross_validate(sets: list[TrainingSet], lam: float, tau: float) -> list[float]:
    """Top-1 on each set, with W trained on the others."""
    return [
        top1(fit([s for j, s in enumerate(sets) if j != i], lam, tau), held)
        for i, held in enumerate(sets)
    ]


def fit_report(sets: list[TrainingSet], lam: float) -> np.ndarray:
    """The classifier's weights and, last, its bias, by gradient descent on the class-weighted
    log loss plus lam * |weights|^2."""
    x = np.vstack([s.written for s in sets])
    y = np.concatenate([s.reports for s in sets])
    # each class weighs half, however many messages it has
    weights = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean())) / len(y)
    w, bias = np.zeros(x.shape[1]), 0.0
    for _ in range(REPORT_STEPS):
        p = 1 / (1 + np.exp(-(x @ w + bias)))
        g = (p - y) * weights
        w -= 0.5 * (x.T @ g + 2 * lam * w)
        bias -= 0.5 * g.sum()
    return np.append(w, bias)


def balanced_accuracy(classifier: np.ndarray, s: TrainingSet) -> float:
    said = (s.written @ classifier[:-1] + classifier[-1]) > 0
    return float((said[s.reports == 1].mean() + (~said[s.reports == 0]).mean()) / 2)


def cross_validate_report(sets: list[TrainingSet], lam: float) -> list[float]:
    return [
        balanced_accuracy(fit_report([s for j, s in enumerate(sets) if j != i], lam), held)
        for i, held in enumerate(sets)
    ]


def _setup_django() -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["UPSTATE_DATA_DIR"] = tempfile.mkdtemp(prefix="upstate-train-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstate.settings")
    import django

    django.setup()


def embed_set(raw: dict) -> TrainingSet:
    """Vectors exactly as the matcher computes them: incidents through the indexing path's
    passages, messages through the query reading without the adapter and as written."""
    from upstate.awareness import documents, matcher
    from upstate.awareness.embedding import get_embedder
    from upstate.pages.models import Component

    embedder = get_embedder()
    rows = {}
    vectors = []
    for incident in raw["incidents"]:
        components = [
            documents._component_text(Component(name=c["name"], description=c["description"]))
            for c in incident["components"]
        ]
        texts = documents._read_as_passages(
            incident["title"],
            components,
            incident["updates"][: documents.MAX_UPDATES],
            raw["page"],
        )
        rows[incident["id"]] = len(vectors)
        vectors.append(embedder.embed(texts).mean(axis=0))
    queries = [matcher.embed_query(m["text"], adapted=False) for m in raw["messages"]]
    belonging = [i for i, m in enumerate(raw["messages"]) if m["incident"] is not None]
    return TrainingSet(
        name=raw["name"],
        incidents=np.array(vectors, dtype=np.float64),
        messages=np.array([queries[i].reading for i in belonging], dtype=np.float64),
        labels=np.array([rows[raw["messages"][i]["incident"]] for i in belonging]),
        written=np.array([q.written for q in queries], dtype=np.float64),
        reports=np.array([m["incident"] is not None for m in raw["messages"]], dtype=np.float64),
    )


def train_adapter(sets: list[TrainingSet]) -> tuple[np.ndarray, dict]:
    dim = sets[0].incidents.shape[1]
    baseline = [top1(np.eye(dim), s) for s in sets]
    print(f"\ntop-1 per held-out set without the adapter: {np.mean(baseline):.1%}")
    print("lambda   tau   top-1 on the held-out set (mean over sets)", flush=True)
    results = {}
    # one grid point per core: each fit is single-threaded
    with ProcessPoolExecutor() as pool:
        running = {
            (lam, tau): pool.submit(cross_validate, sets, lam, tau)
            for lam, tau in itertools.product(LAMBDAS, TAUS)
        }
        for (lam, tau), future in running.items():
            results[(lam, tau)] = float(np.mean(future.result()))
            print(f"{lam:6.3f}  {tau:4.2f}  {results[(lam, tau)]:6.1%}", flush=True)
    # ties go to the stronger pull towards the identity
    lam, tau = max(results, key=lambda k: (round(results[k], 6), k[0]))
    print(f"training the adapter on all sets with lambda {lam}, tau {tau}", flush=True)
    return fit(sets, lam, tau), {
        "lambda": lam,
        "tau": tau,
        "steps": STEPS,
        "held_out_top1": round(results[(lam, tau)], 4),
        "held_out_top1_without": round(float(np.mean(baseline)), 4),
    }


def train_report(sets: list[TrainingSet]) -> tuple[np.ndarray, dict]:
    print("\nlambda   balanced accuracy of the report classifier on the held-out set", flush=True)
    results = {}
    for lam in REPORT_LAMBDAS:
        results[lam] = float(np.mean(cross_validate_report(sets, lam)))
        print(f"{lam:6.4f}  {results[lam]:6.1%}", flush=True)
    lam = max(results, key=lambda k: (round(results[k], 6), k))
    print(f"training the report classifier on all sets with lambda {lam}", flush=True)
    return fit_report(sets, lam), {
        "lambda": lam,
        "steps": REPORT_STEPS,
        "held_out_balanced_accuracy": round(results[lam], 4),
    }


def main() -> None:
    _setup_django()
    from upstate.awareness.embedding import ADAPTER_FILE, REPORT_FILE, TRAINED_MANIFEST

    data = TRAIN.read_bytes()
    raw_sets = json.loads(data)["sets"]
    sets = []
    for n, raw in enumerate(raw_sets, 1):
        print(f"embedding set {n}/{len(raw_sets)} ({raw['name']})", flush=True)
        sets.append(embed_set(raw))
    manifest: dict = {
        "trained_on": "bench/match_train.json",
        "trained_on_sha256": hashlib.sha256(data).hexdigest(),
    }
    for name, (array, scores) in (
        (ADAPTER_FILE, train_adapter(sets)),
        (REPORT_FILE, train_report(sets)),
    ):
        target = OUT_DIR / name
        np.save(target, array.astype(np.float32))
        with open(target, "rb") as f:
            manifest[name] = {"sha256": hashlib.file_digest(f, "sha256").hexdigest(), **scores}
        print(f"wrote {name} ({target.stat().st_size / 1e3:.0f} kB)")
    (OUT_DIR / TRAINED_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {TRAINED_MANIFEST}")


if __name__ == "__main__":
    main()
