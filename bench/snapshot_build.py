"""Snapshot build benchmark: how long a change takes to reach the public page as a page's
incident history grows (target: visible within one second).

    .venv/bin/python bench/snapshot_build.py [--history 0 100 300 1000 3000]

For each history size, a throwaway page with 12 components gets that many resolved incidents
(three updates each, Markdown in the messages, one in ten with a published postmortem), then
an update is posted to a live incident the way the dashboard posts it: the rebuild runs after
the commit. It prints the time from the post to the new snapshot on disk, the time of a full
build, the number of documents and the snapshot's size, and each time as a ratio to the page
with no history measured in the same run."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MESSAGE = (
    "We identified the cause: a **database failover** left the `orders` replica behind.\n\n"
    "- Checkout is retried automatically\n- No payments were lost\n\n"
    "Next update within 30 minutes. See [our notes](https://example.com/notes)."
)


def _history(page, components, count: int) -> None:  # noqa: ANN001
    from django.utils import timezone

    from upstate.incidents.models import (
        Impact,
        Incident,
        IncidentComponent,
        IncidentStatus,
        IncidentUpdate,
        Postmortem,
        PostmortemStatus,
    )

    now = timezone.now()
    incidents = Incident.objects.bulk_create(
        Incident(
            org_id=page.org_id,
            page=page,
            title=f"Elevated errors on checkout #{n}",
            status=IncidentStatus.RESOLVED,
            impact=Impact.MINOR,
            started_at=now - timedelta(hours=6 * (n + 1)),
            resolved_at=now - timedelta(hours=6 * (n + 1) - 2),
        )
        for n in range(count)
    )
    IncidentComponent.objects.bulk_create(
        IncidentComponent(incident=incident, component=components[n % len(components)])
        for n, incident in enumerate(incidents)
    )
    IncidentUpdate.objects.bulk_create(
        IncidentUpdate(
            incident=incident,
            status=status,
            message=f"{MESSAGE} ({n})",
            created_at=incident.started_at + timedelta(minutes=40 * step),
        )
        for n, incident in enumerate(incidents)
        for step, status in enumerate(
            (IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.RESOLVED)
        )
    )
    Postmortem.objects.bulk_create(
        Postmortem(
            incident=incident,
            summary=MESSAGE,
            root_cause=MESSAGE,
            status=PostmortemStatus.PUBLISHED,
            published_at=incident.resolved_at,
        )
        for incident in incidents[::10]
    )


def measure(slug: str, history: int) -> tuple[float, float, int, int]:
    from django.db import transaction

    from upstate.incidents.models import IncidentStatus
    from upstate.incidents.services import create_incident, post_update
    from upstate.orgs.services import create_org
    from upstate.pages.services import create_component, create_page
    from upstate.public.models import PublicSnapshot
    from upstate.public.snapshot import build_snapshot, latest_snapshot

    org = create_org(slug=slug, name=slug)
    page = create_page(org=org, name=f"{slug} Status", slug=slug)
    components = [create_component(page=page, name=f"Service {n}") for n in range(12)]
    _history(page, components, history)
    live = create_incident(page=page, title="Checkout is slow", message="Looking into it.")
    started = time.perf_counter()
    build_snapshot(page)
    full = time.perf_counter() - started

    before = latest_snapshot(page.code).built_at
    started = time.perf_counter()
    with transaction.atomic():  # as a request does: the rebuild runs once it commits
        post_update(incident=live, status=IncidentStatus.IDENTIFIED, message="Found it.")
    visible = time.perf_counter() - started
    snapshot = latest_snapshot(page.code)
    assert snapshot.built_at > before, "the update did not rebuild the snapshot"
    size = len(PublicSnapshot.objects.get(id=snapshot.version).data)
    return visible, full, len(snapshot.documents), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, nargs="+", default=[0, 100, 300, 1000, 3000])
    args = parser.parse_args()
    sizes = sorted(set([0, *args.history]))

    data = Path(tempfile.mkdtemp(prefix="upstate-snapshot-"))
    os.environ.update(UPSTATE_DATA_DIR=str(data), UPSTATE_TASKS_IMMEDIATE="True")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstate.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "sqlite":
        print("using", connection.settings_dict["NAME"], "- it must be an empty database")
    call_command("migrate", verbosity=0)
    try:
        print(f"{'history':>8} {'post -> public':>15} {'full build':>11} {'docs':>6} {'size':>9}")
        baseline = None
        for history in sizes:
            visible, full, docs, size = measure(f"snap{history}", history)
            baseline = baseline or (visible, full)
            print(
                f"{history:>8} {visible:>9.3f} s {visible / baseline[0]:>4.1f}x"
                f" {full:>7.3f} s {docs:>6} {size / 1e6:>6.1f} MB"
                + ("  (over the 1 s target)" if visible > 1.0 else "")
            )
    finally:
        connection.close()
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
