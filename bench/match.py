"""Incident matching benchmark: accuracy on bench/match_eval.json and latency per request.

    .venv/bin/python bench/match.py [--calibrate]

Builds a throwaway SQLite installation, declares the evaluation set's incidents through the
incident services (so the worker's indexing path computes their vectors), and asks
`POST /api/v1/match` about every message:

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

--calibrate also prints the grid of lexical weights and thresholds the constants in
upstate/awareness/matcher.py were chosen from, and the threshold fitted on one half of the
messages and measured on the other.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "bench" / "match_eval.json"
ACTIVE = 100
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
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstate.settings")
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    logging.getLogger("huey").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def declare(eval_set: dict) -> tuple[object, str, dict[int, str]]:
    """The organization's page with the set's incidents; returns (page, API key, id -> name)."""
    from upstate.incidents.services import create_incident, post_update
    from upstate.orgs.services import create_api_key, create_org
    from upstate.pages.services import create_component, create_page

    org = create_org(slug="bench", name="Bench")
    page = create_page(org=org, name="Example Cloud Status", slug="bench")
    _, key = create_api_key(org=org, role="viewer", name="bench")
    components: dict[str, object] = {}
    names = {}
    for item in eval_set["incidents"]:
        affected = {}
        for c in item["components"]:
            if c["name"] not in components:
                components[c["name"]] = create_component(
                    page=page, name=c["name"], description=c["description"]
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
) -> list:
    """(message, incident name per key, matcher.Scores) for every message of the set;
    `adapted=False` reads the messages without the query adapter, `classified=False` takes
    every message for a report."""
    from dataclasses import replace

    from upstate.awareness import matcher

    scope = matcher.Scope(org_id=page.org_id)
    rows = []
    for m in eval_set["messages"]:
        query = matcher.embed_query(m["text"], adapted=adapted)
        if not classified:
            query = replace(query, report=1.0)
        scores = matcher.raw_scores(m["text"], scope, query)
        ids = [names.get(key[1]) if key[0] == "incident" else None for key in scores.keys]
        rows.append((m, ids, scores))
    return rows


def figures(rows: list, weight: float, threshold: float, link: float) -> dict[str, float]:
    positives = negatives = top1 = recall = wrong = fp = linked = wrong_links = 0
    for m, ids, scores in rows:
        best = int(np.argmax(scores.closeness(weight)))
        conf = scores.confidences(weight)[best]
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
        "top1": top1 / positives,
        "recall": recall / positives,
        "wrong": wrong / positives,
        "fpr": fp / negatives,
        "linked": linked / positives,
        "wrong_links": wrong_links / positives,
    }


def calibrate(rows: list) -> None:
    print("\nweight  threshold  top-1   recall  wrong   false+")
    for weight in (0.0, 0.05, 0.1, 0.15):
        for threshold in (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5):
            f = figures(rows, weight, threshold, threshold)
            print(
                f"{weight:5.2f}  {threshold:9.2f}  {f['top1']:6.1%}  {f['recall']:6.1%}  "
                f"{f['wrong']:6.1%}  {f['fpr']:6.1%}"
            )


def halves(rows: list) -> tuple[list, list]:
    """Every other message of each incident (and of the unrelated ones) in each half."""
    seen: dict[str | None, int] = {}
    first, second = [], []
    for row in rows:
        label = row[0]["incident"]
        seen[label] = seen.get(label, 0) + 1
        (first if seen[label] % 2 else second).append(row)
    return first, second


def fitted_threshold(rows: list, weight: float, max_fpr: float = 0.05) -> float:
    """The lowest threshold (in steps of 0.01) that keeps false positives within max_fpr."""
    for step in range(101):
        threshold = step / 100
        if figures(rows, weight, threshold, 1.0)["fpr"] <= max_fpr:
            return threshold
    return 1.0


def held_out(rows: list) -> None:
    """The match threshold fitted on one half of the messages, measured on the other."""
    from upstate.awareness import matcher

    weight = matcher.LEXICAL_WEIGHT
    print("\nheld-out: threshold fitted on one half (false+ <= 5 %), measured on the other")
    print("fit on  threshold  top-1 (other half)  recall  wrong   false+")
    first, second = halves(rows)
    for name, fit, other in (("half 1", first, second), ("half 2", second, first)):
        threshold = fitted_threshold(fit, weight)
        f = figures(other, weight, threshold, 1.0)
        print(
            f"{name}  {threshold:9.2f}  {f['top1']:18.1%}  {f['recall']:6.1%}  "
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true", help="print the calibration grid")
    args = parser.parse_args()
    eval_set = json.loads(EVAL.read_text())
    with tempfile.TemporaryDirectory() as data_dir:
        setup_django(data_dir)
        from upstate.awareness import matcher

        positives = sum(m["incident"] is not None for m in eval_set["messages"])
        print(
            f"evaluation set: {len(eval_set['incidents'])} incidents, {positives} messages that "
            f"match one, {len(eval_set['messages']) - positives} that match none"
        )
        print("declaring the incidents (the worker path embeds them) ...", flush=True)
        page, key, names = declare(eval_set)
        rows = evaluate(eval_set, page, names)
        f = figures(rows, matcher.LEXICAL_WEIGHT, matcher.MATCH_THRESHOLD, matcher.LINK_THRESHOLD)
        print(
            f"\nthresholds: match {matcher.MATCH_THRESHOLD}, link {matcher.LINK_THRESHOLD} "
            f"(lexical weight {matcher.LEXICAL_WEIGHT})"
        )
        print(f"top-1 accuracy (matching messages)     {f['top1']:6.1%}   target >= 90 %")
        print(f"returned and right at the threshold    {f['recall']:6.1%}")
        print(f"returned but wrong at the threshold    {f['wrong']:6.1%}")
        print(f"false positives (messages of no incident) {f['fpr']:6.1%}   target <= 5 %")
        print(f"linked automatically, right            {f['linked']:6.1%}")
        print(f"linked automatically, wrong            {f['wrong_links']:6.1%}")
        for without, kwargs in (
            ("the query adapter", {"adapted": False}),
            ("the report classifier", {"classified": False}),
            ("either", {"adapted": False, "classified": False}),
        ):
            plain = figures(
                evaluate(eval_set, page, names, **kwargs),
                matcher.LEXICAL_WEIGHT,
                matcher.MATCH_THRESHOLD,
                matcher.LINK_THRESHOLD,
            )
            print(
                f"without {without}: top-1 {plain['top1']:.1%}, returned and right "
                f"{plain['recall']:.1%}, false positives {plain['fpr']:.1%}"
            )
        if args.calibrate:
            calibrate(rows)
            held_out(rows)
        print(f"\nadding {ACTIVE - len(names)} filler incidents to reach {ACTIVE} active ...")
        add_fillers(page, ACTIVE - len(names))
        texts = [m["text"] for m in eval_set["messages"]]
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


if __name__ == "__main__":
    main()
