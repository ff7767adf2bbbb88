"""The text the matcher reads for an incident, and keeping its vectors current.

An incident is read as several passages: the whole of it (title, affected components with
their descriptions, recent updates newest first, page name), then its title, its components
and each update on its own. The matcher averages a message's cosine over the passages: a
message that fits one update well but nothing else of the incident counts for less than one
that fits the incident as a whole, which separated neighbouring incidents better on the
evaluation set than the single passage or the best passage did (bench/match.py).
"""

from __future__ import annotations

import hashlib

import numpy as np
from django.db import transaction
from django.db.models import Prefetch

from upstate.awareness.embedding import DIMENSIONS, from_bytes, get_embedder, to_bytes
from upstate.awareness.models import IncidentDocument, MaintenanceDocument
from upstate.incidents.models import ACTIVE_STATUSES, Incident, IncidentComponent, IncidentUpdate
from upstate.maintenance.models import UNDERWAY_STATUSES, Maintenance, MaintenanceUpdate
from upstate.pages.models import Component

MAX_UPDATES = 4  # the latest ones; older wording rarely says what customers see now


def _component_text(component: Component) -> str:
    about = "; ".join(
        part
        for part in (
            component.description.strip(),
            f"also called {component.keywords}" if component.keywords else "",
        )
        if part
    )
    return f"{component.name} ({about})" if about else component.name


def _read_as_passages(
    title: str, components: list[str], messages: list[str], page: str
) -> list[str]:
    # Whitespace folded: one line per passage in the stored text (passages joined by newlines).
    title = " ".join(title.split()).rstrip(".") + "."
    affected = [f"Affected: {', '.join(components)}."] if components else []
    parts = [title, *affected, *(" ".join(m.split()) for m in messages if m.strip())]
    return [f"{' '.join(parts)} ({page})", *parts]


def passages(incident: Incident) -> list[str]:
    """The incident's text as the embedder reads it: the whole first, then its parts (an
    incident from `_incidents_to_index`)."""
    components = [_component_text(a.component) for a in incident.affected.all()]
    updates = [u.message for u in incident.latest_updates]
    return _read_as_passages(incident.title, components, updates, incident.page.name)


def maintenance_passages(maintenance: Maintenance) -> list[str]:
    """Maintenance under way, read like an incident (from `_maintenances_to_index`)."""
    components = [_component_text(c) for c in maintenance.components.all()]
    messages = [u.message for u in maintenance.latest_updates]
    messages.append(maintenance.message)
    title = "Maintenance: " + maintenance.title.strip()
    return _read_as_passages(title, components, messages, maintenance.page.name)


def joined(texts: list[str]) -> str:
    return "\n".join(texts)


# Only the latest updates are read (a sliced prefetch, one query with a window function):
# during a storm of updates the worker read every incident's whole timeline each second to
# keep four of each (bench/write_storm.py).
def _incidents_to_index(page_id: int) -> list[Incident]:
    latest = IncidentUpdate.objects.only("incident_id", "message").order_by("-created_at", "-id")
    return list(
        Incident.objects.filter(page_id=page_id, status__in=ACTIVE_STATUSES)
        .select_related("page")
        .prefetch_related(
            Prefetch("affected", IncidentComponent.objects.select_related("component")),
            Prefetch("updates", latest[:MAX_UPDATES], to_attr="latest_updates"),
        )
    )


def _maintenances_to_index(page_id: int) -> list[Maintenance]:
    latest = MaintenanceUpdate.objects.only("maintenance_id", "message").order_by(
        "-created_at", "-id"
    )
    return list(
        Maintenance.objects.filter(page_id=page_id, status__in=UNDERWAY_STATUSES)
        .select_related("page")
        .prefetch_related(
            "components",
            Prefetch("updates", latest[:MAX_UPDATES], to_attr="latest_updates"),
        )
    )


def _sync(document_model, key: str, subjects: list, texts_of, page_filter: dict) -> int:  # noqa: ANN001
    """Embed the subjects whose text changed, drop documents of subjects no longer live."""
    known = {
        getattr(d, f"{key}_id"): d.text_hash
        for d in document_model.objects.filter(**page_filter).only("text_hash")
    }
    stale = []
    for subject in subjects:
        texts = texts_of(subject)
        digest = hashlib.sha256(joined(texts).encode()).hexdigest()
        if known.get(subject.id) != digest:
            stale.append((subject, texts, digest))
    embedder = get_embedder()
    vectors = _vectors(document_model, key, stale, embedder) if stale else None
    with transaction.atomic():
        live = {s.id for s in subjects}
        gone = [subject_id for subject_id in known if subject_id not in live]
        document_model.objects.filter(**{f"{key}_id__in": gone}).delete()
        row = 0
        for subject, texts, digest in stale:
            block = vectors[row : row + len(texts)]
            row += len(texts)
            document_model.objects.update_or_create(
                **{key: subject},
                defaults={
                    "text": joined(texts),
                    "text_hash": digest,
                    "vector": to_bytes(block),
                    "model": embedder.name,
                },
            )
    return len(stale)


def _vectors(document_model, key: str, stale: list, embedder) -> np.ndarray:  # noqa: ANN001
    """The vectors of every stale subject's passages, in order. A passage whose text is
    already stored (an incident's title and earlier updates, when one update is added) keeps
    its vector: during a storm of updates the worker embedded each incident's every passage
    again for each one (bench/write_storm.py)."""
    ids = [subject.id for subject, _, _ in stale]
    stored: dict[str, np.ndarray] = {}
    rows = document_model.objects.filter(**{f"{key}_id__in": ids}, model=embedder.name)
    for text, vector in rows.values_list("text", "vector"):
        block = from_bytes(vector).reshape(-1, DIMENSIONS)
        lines = text.split("\n")
        if len(lines) == len(block):
            stored.update(zip(lines, block, strict=True))
    texts = [t for _, subject_texts, _ in stale for t in subject_texts]
    missing = sorted({t for t in texts if t not in stored})
    if missing:
        stored.update(zip(missing, embedder.embed(missing), strict=True))
    return np.stack([stored[t] for t in texts])


def index_page(page_id: int) -> int:
    """Bring the vectors of the page's active incidents and maintenance under way up to date;
    returns how many were (re)computed. Only what changed is embedded again; documents of
    what is no longer live are dropped (only live incidents and maintenance are matched)."""
    return _sync(
        IncidentDocument,
        "incident",
        _incidents_to_index(page_id),
        passages,
        {"incident__page_id": page_id},
    ) + _sync(
        MaintenanceDocument,
        "maintenance",
        _maintenances_to_index(page_id),
        maintenance_passages,
        {"maintenance__page_id": page_id},
    )


def passage_vectors(document: IncidentDocument | MaintenanceDocument) -> np.ndarray:
    return from_bytes(document.vector).reshape(-1, DIMENSIONS)
