"""Incident matching benchmark: accuracy on the evaluation sets and latency per request.

    .venv/bin/python bench/match.py [--set FILE ...] [--calibrate]

The sets (each a JSON file of status pages, their live incidents and customer messages):

- bench/match_frozen.json, the independent set: written in several parts by people who never
  saw the project, frozen (its sha256 below and in the docs) before anything was tuned, and
  never used to choose anything: the figure that counts;
- bench/match_eval.json, the first evaluation set, on which earlier constants were chosen;
- bench/match_train.json, the training pages (--set it explicitly): the only set the constants
  may be chosen on (--calibrate).

Builds a throwaway SQLite installation, declares each page's incidents through the incident
services (so the worker's indexing path computes their vectors), one organization per page,
and asks the matcher about every message:

- top-1 accuracy on the messages that belong to an incident (is the best incident the right
  one), recall at the threshold (right and returned), wrong answers at the threshold;
- false-positive rate on the messages that belong to none (anything returned at all);
- how many of the matching messages the link threshold links, and how many wrongly;
- p50/p95 wall time per match request with 100 active incidents (the set's, plus fillers),
  against a baseline measured in the same run: an authenticated API request that lists one
  incident (`GET /api/v1/incidents?limit=1`);
- the process's resident memory after the model has loaded;
- the same accuracy figures without the query adapter, without the report classifier and
  without either (the baselines they are measured against).

- the same after responders linked the first LINKED_FIRST messages of each incident, replayed
  in the order the messages arrive (measured on the later messages only, with and without
  the links).

--calibrate prints the grid of lexical weights, thresholds and example weights the constants
in upstate/awareness/matcher.py are chosen from; run it on the training pages only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FROZEN = ROOT / "bench" / "match_frozen.json"
FROZEN_SHA256 = "80a5fba9d7b861b81f117ede7d92be328c7e46dc8cf84ea2672ed264f30bba5f"
DEFAULT_SETS = [FROZEN, ROOT / "bench" / "match_eval.json"]
ACTIVE = 100
LINKED_FIRST = 3
FILLER_AREAS = [
    "Reporting",
    "Scheduler",
    "Import",
    "Notifications",
    "Billing",
    "Storage",
    "Search",
    "Mobile",
    "Chat",
    "Maps",
    "Payroll",
    "Tickets",
    "Inventory",
    "Forms",
    "Surveys",
    "Wiki",
    "Time tracking",
]
FILLER_SYMPTOMS = [
    "intermittent slowness in {area} for a few accounts",
    "{area} jobs in the Sydney region are retried more than usual",
    "degraded performance of {area} background processing",
    "elevated latency on {area} in South America",
]


def setup_django(data_dir: str) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["UPSTATE_DATA_DIR"] = data_dir
    os.environ["UPSTATE_TASKS_IMMEDIATE"] = "True"
    # the API answers on the public URL's host; Django's test client calls itself testserver
    os.environ["UPSTATE_PUBLIC_URL"] = "http://testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstate.settings")
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    logging.getLogger("huey").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_pages(path: Path) -> list[dict]:
    """A set's status pages: a file holds either `sets` (one page each) or one page."""
    raw = json.loads(path.read_text())
    if path == FROZEN:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != FROZEN_SHA256:
            sys.exit(f"{path.name} changed since it was frozen (sha256 {digest})")
    if "sets" in raw:
        return raw["sets"]
    return [{"name": path.stem, "page": "Example Cloud Status", **raw}]


def declare(eval_set: dict, slug: str) -> tuple[object, str, dict[int, str]]:
    """An organization with one page and the set's incidents; returns (page, API key,
    incident id -> the set's name for it)."""
    from upstate.incidents.services import create_incident, post_update
    from upstate.orgs.services import create_api_key, create_org
    from upstate.pages.services import create_component, create_page

    org = create_org(slug=slug, name=slug)
    page = create_page(org=org, name=eval_set.get("page") or "Example Cloud Status", slug=slug)
    _, key = create_api_key(org=org, role="viewer", name="bench")
    components: dict[str, object] = {}
    names = {}
    for item in eval_set["incidents"]:
        affected = {}
        for c in item["components"]:
            if c["name"] not in components:
                components[c["name"]] = create_component(
                    page=page, name=c["name"][:100], description=c.get("description", "")
                )
            affected[components[c["name"]]] = None
        # updates are listed newest first; post them oldest first
        oldest, *later = reversed(item["updates"])
        incident = create_incident(
            page=page, title=item["title"], components=affected, message=oldest, notify=False
        )
        for message in later:
            post_update(incident=incident, status="identified", message=message, notify=False)
        names[incident.id] = item["id"]
    return page, key, names


def add_fillers(page: object, count: int) -> None:
    from upstate.incidents.services import create_incident

    for n in range(count):
        area = FILLER_AREAS[n % len(FILLER_AREAS)]
        symptom = FILLER_SYMPTOMS[(n // len(FILLER_AREAS)) % len(FILLER_SYMPTOMS)]
        create_incident(page=page, title=symptom.format(area=area).capitalize(), notify=False)


def evaluate(
    eval_set: dict,
    page: object,
    names: dict[int, str],
    *,
    adapted: bool = True,
    classified: bool = True,
    messages: list[dict] | None = None,
) -> list:
    """(message, incident name per key, matcher.Scores) for every message of the set (or
    `messages`); `adapted=False` reads the messages without the query adapter,
    `classified=False` takes every message for a report."""
    from dataclasses import replace

    from upstate.awareness import matcher

    scope = matcher.Scope(org_id=page.org_id)
    rows = []
    for m in eval_set["messages"] if messages is None else messages:
        query = matcher.embed_query(m["text"], adapted=adapted)
        if not classified:
            query = replace(query, report=1.0)
        scores = matcher.raw_scores(m["text"], scope, query)
        ids = [names.get(key[1]) if key[0] == "incident" else None for key in scores.keys]
        rows.append((m, ids, scores))
    return rows


def replay(eval_set: dict, page: object, names: dict[int, str]) -> tuple[list, list]:
    """The messages in the order they arrive; a responder links each incident's first
    LINKED_FIRST messages to it. Returns the rows of the later messages (and of those that
    belong to none) scored without and with the links."""
    from upstate.awareness import matcher, services
    from upstate.awareness.models import Conversation, LinkedVia
    from upstate.incidents.models import Incident

    by_name = {name: incident_id for incident_id, name in names.items()}
    seen: dict[str, int] = {}
    later = []
    for n, m in enumerate(eval_set["messages"]):
        label = m["incident"]
        if label is None or seen.get(label, 0) >= LINKED_FIRST:
            later.append(m)
            continue
        seen[label] = seen.get(label, 0) + 1
        conversation = Conversation.objects.create(
            org_id=page.org_id,
            source="bench",
            external_id=str(n),
            text=m["text"],
            vector=matcher.embed_written(m["text"]).astype("<f4").tobytes(),
        )
        services.link_conversation(
            conversation=conversation,
            incident=Incident.objects.get(id=by_name[label]),
            via=LinkedVia.DASHBOARD,
        )
    with_links = evaluate(eval_set, page, names, messages=later)
    without = [(m, ids, _without_examples(scores)) for m, ids, scores in with_links]
    return without, with_links


def _without_examples(scores: object) -> object:
    from dataclasses import replace

    return replace(scores, examples=None)


def figures(
    rows: list, weight: float, threshold: float, link: float, **examples: float
) -> dict[str, float]:
    """`examples`: example_weight and margin, when not the matcher's."""
    positives = negatives = top1 = recall = wrong = fp = linked = wrong_links = 0
    ranking = {k: v for k, v in examples.items() if k == "example_weight"}
    confidence = {k: v for k, v in examples.items() if k == "margin"}
    for m, ids, scores in rows:
        best = int(np.argmax(scores.closeness(weight, **ranking)))
        conf = scores.confidences(weight, **confidence)[best]
        if m["incident"] is None:
            negatives += 1
            fp += conf >= threshold
            continue
        positives += 1
        right = ids[best] == m["incident"]
        top1 += right
        recall += right and conf >= threshold
        wrong += (not right) and conf >= threshold
        linked += right and conf >= link
        wrong_links += (not right) and conf >= link
    return {
        "top1": top1 / max(positives, 1),
        "recall": recall / max(positives, 1),
        "wrong": wrong / max(positives, 1),
        "fpr": fp / max(negatives, 1),
        "linked": linked / max(positives, 1),
        "wrong_links": wrong_links / max(positives, 1),
    }


def calibrate(rows: list, replayed: list) -> None:
    from upstate.awareness import matcher

    print("\nweight  threshold  top-1   recall  wrong   false+")
    for weight in (0.0, 0.05, 0.1, 0.15):
        for threshold in (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5):
            f = figures(rows, weight, threshold, threshold)
            print(
                f"{weight:5.2f}  {threshold:9.2f}  {f['top1']:6.1%}  {f['recall']:6.1%}  "
                f"{f['wrong']:6.1%}  {f['fpr']:6.1%}"
            )
    print("\nafter the first links (later messages): example weight, margin")
    print("e.weight  margin  top-1   recall  wrong   false+")
    for example_weight in (0.0, 0.25, 0.5, 1.0):
        for margin in (0.1, 0.15, 0.2, 0.3):
            f = figures(
                replayed,
                matcher.LEXICAL_WEIGHT,
                matcher.MATCH_THRESHOLD,
                matcher.LINK_THRESHOLD,
                example_weight=example_weight,
                margin=margin,
            )
            print(
                f"{example_weight:8.2f}  {margin:6.2f}  {f['top1']:6.1%}  {f['recall']:6.1%}  "
                f"{f['wrong']:6.1%}  {f['fpr']:6.1%}"
            )


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def latency(messages: list[str], key: str) -> tuple[list[float], list[float], list[float]]:
    """Wall time of match and baseline requests, and the CPU time of the match requests
    (which other load on the machine barely moves)."""
    from django.test import Client

    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    for text in messages[:10]:  # warm-up: model load, caches
        client.post("/api/v1/match", {"text": text}, content_type="application/json", **auth)
        client.get("/api/v1/incidents?limit=1", **auth)
    match_ms, base_ms, cpu_ms = [], [], []
    for text in messages:
        start, cpu = time.perf_counter(), time.thread_time()
        response = client.post(
            "/api/v1/match", {"text": text}, content_type="application/json", **auth
        )
        match_ms.append((time.perf_counter() - start) * 1000)
        cpu_ms.append((time.thread_time() - cpu) * 1000)
        assert response.status_code == 200, response.content
        start = time.perf_counter()
        client.get("/api/v1/incidents?limit=1", **auth)
        base_ms.append((time.perf_counter() - start) * 1000)
    return match_ms, base_ms, cpu_ms


def rss_mib() -> tuple[float, float]:
    current = 0.0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(label: str, f: dict[str, float]) -> None:
    print(
        f"  {label:<34} top-1 {f['top1']:6.1%}  right {f['recall']:6.1%}  "
        f"wrong incident {f['wrong']:5.1%}  false+ {f['fpr']:5.1%}  "
        f"linked {f['linked']:5.1%} (wrongly {f['wrong_links']:4.1%})"
    )


def measure(path: Path, calibrate_grid: bool) -> tuple[object, str, list[str]]:
    from upstate.awareness import matcher

    pages = load_pages(path)
    positives = sum(m["incident"] is not None for p in pages for m in p["messages"])
    total = sum(len(p["messages"]) for p in pages)
    print(
        f"\n== {path.name}: {len(pages)} page(s), "
        f"{sum(len(p['incidents']) for p in pages)} incidents, {positives} messages that "
        f"match one, {total - positives} that match none"
    )
    print("declaring the incidents (the worker path embeds them) ...", flush=True)
    declared = [declare(p, f"{path.stem.replace('_', '-')}-{n}") for n, p in enumerate(pages)]
    base = (matcher.LEXICAL_WEIGHT, matcher.MATCH_THRESHOLD, matcher.LINK_THRESHOLD)
    every = {
        "as shipped": {},
        "without the query adapter": {"adapted": False},
        "without the report classifier": {"classified": False},
        "without either": {"adapted": False, "classified": False},
    }
    rows = []
    for label, kwargs in every.items():
        rows = [
            r
            for p, (page, _, names) in zip(pages, declared, strict=True)
            for r in evaluate(p, page, names, **kwargs)
        ]
        report(label, figures(rows, *base))
        if label == "as shipped":
            shipped = rows
    without, with_links = [], []
    for p, (page, _, names) in zip(pages, declared, strict=True):
        before, after = replay(p, page, names)
        without += before
        with_links += after
    print(f"after a responder linked the first {LINKED_FIRST} messages of each incident:")
    report("later messages, without the links", figures(without, *base))
    report("later messages, with the links", figures(with_links, *base))
    if calibrate_grid:
        calibrate(shipped, with_links)
    page, key, _ = declared[0]
    return page, key, [m["text"] for p in pages for m in p["messages"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        action="append",
        type=Path,
        help="an evaluation set (default: the frozen independent set and the first evaluation set)",
    )
    parser.add_argument(
        "--calibrate", action="store_true", help="print the calibration grid (training pages only)"
    )
    args = parser.parse_args()
    sets = args.set or [path for path in DEFAULT_SETS if path.exists()]
    with tempfile.TemporaryDirectory() as data_dir:
        setup_django(data_dir)
        from upstate.awareness import matcher

        print(
            f"thresholds: match {matcher.MATCH_THRESHOLD}, link {matcher.LINK_THRESHOLD} "
            f"(lexical weight {matcher.LEXICAL_WEIGHT}; examples: weight "
            f"{matcher.EXAMPLE_WEIGHT}, margin {matcher.EXAMPLE_MARGIN}); targets: top-1 >= 90 %, "
            "wrong incident <= 5 %, false+ <= 5 %"
        )
        measured = [measure(path, args.calibrate) for path in sets]
        page, key, texts = measured[0]
        count = sum(1 for _ in names_of(page))
        print(f"\nadding {ACTIVE - count} filler incidents to reach {ACTIVE} active ...")
        add_fillers(page, ACTIVE - count)
        match_ms, base_ms, cpu_ms = latency(texts, key)
        ratio = percentile(match_ms, 50) / percentile(base_ms, 50)
        print(f"\nper request, {ACTIVE} active incidents, {len(texts)} requests, one thread:")
        print(
            f"POST /api/v1/match          p50 {percentile(match_ms, 50):5.1f} ms  "
            f"p95 {percentile(match_ms, 95):5.1f} ms   target p95 <= 25 ms"
        )
        print(
            f"  its CPU time              p50 {percentile(cpu_ms, 50):5.1f} ms  "
            f"p95 {percentile(cpu_ms, 95):5.1f} ms"
        )
        print(
            f"GET /api/v1/incidents (base) p50 {percentile(base_ms, 50):5.1f} ms  "
            f"p95 {percentile(base_ms, 95):5.1f} ms   match/base p50 ratio {ratio:.1f}x"
        )
        print(f"machine load average while measuring: {os.getloadavg()[0]:.1f} (2 cores)")
        current, peak = rss_mib()
        print(f"process memory: RSS {current:.0f} MiB now, peak {peak:.0f} MiB")
        model = ROOT / "upstate" / "awareness" / "model"
        size = sum(f.stat().st_size for f in model.iterdir()) / 2**20
        print(f"model files: {size:.1f} MiB")


def names_of(page: object) -> list[int]:
    from upstate.incidents.models import ACTIVE_STATUSES, Incident

    return list(
        Incident.objects.filter(page=page, status__in=ACTIVE_STATUSES).values_list("id", flat=True)
    )


if __name__ == "__main__":
    main()
