"""Which live incidents (or maintenance under way) a customer's message is about, with a
confidence from 0 to 1.

score      = best passage cosine (meaning) + LEXICAL_WEIGHT * squashed BM25 (exact words)
confidence = clip((score - FLOOR) / SPAN, 0, 1)

The constants are calibrated on bench/match_eval.json by bench/match.py; README lists the
accuracy they give. A match request embeds only the message: incident vectors come from the
worker (documents.index_page), and each organization's index is cached in the process until
one of its documents changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.db.models import Prefetch

from upstate.awareness.documents import passage_vectors
from upstate.awareness.embedding import get_embedder
from upstate.awareness.lexical import LexicalIndex, terms
from upstate.awareness.models import IncidentDocument, MaintenanceDocument
from upstate.incidents.models import ACTIVE_STATUSES, Incident, IncidentComponent, Visibility
from upstate.maintenance.models import UNDERWAY_STATUSES, Maintenance

LEXICAL_WEIGHT = 0.10
FLOOR = 0.25
SPAN = 0.30
# Shown as a match at or above this confidence; linked automatically at or above LINK.
MATCH_THRESHOLD = 0.35
LINK_THRESHOLD = 0.60
# Listed as a "possible match" in the dashboard from this confidence on.
POSSIBLE_THRESHOLD = 0.25
MAX_TEXT = 2000


@dataclass(frozen=True)
class Scope:
    """Whose incidents a request may see: an organization, maybe one page, maybe public only."""

    org_id: int
    page_id: int | None = None
    public_only: bool = False


INCIDENT, MAINTENANCE = "incident", "maintenance"
Key = tuple[str, int]  # (INCIDENT or MAINTENANCE, its id)


@dataclass
class Match:
    subject: Incident | Maintenance
    confidence: float
    reason: str

    @property
    def kind(self) -> str:
        return MAINTENANCE if isinstance(self.subject, Maintenance) else INCIDENT


@dataclass
class _Index:
    version: tuple
    keys: list[Key]
    vectors: np.ndarray  # all passages, stacked
    owners: np.ndarray  # the position in `keys` of each passage row
    lexical: LexicalIndex


_cache: OrderedDict[Scope, _Index] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 256


def confidence(score: np.ndarray | float) -> np.ndarray | float:
    return np.clip((np.asarray(score) - FLOOR) / SPAN, 0.0, 1.0)


def _incident_documents(scope: Scope):  # noqa: ANN202 (a queryset of IncidentDocument)
    documents = IncidentDocument.objects.filter(
        incident__org_id=scope.org_id, incident__status__in=ACTIVE_STATUSES
    )
    if scope.page_id is not None:
        documents = documents.filter(incident__page_id=scope.page_id)
    if scope.public_only:
        documents = documents.filter(
            incident__visibility=Visibility.PUBLIC, incident__page__private=False
        )
    return documents.order_by("incident_id")


def _maintenance_documents(scope: Scope):  # noqa: ANN202 (a queryset of MaintenanceDocument)
    documents = MaintenanceDocument.objects.filter(
        maintenance__org_id=scope.org_id, maintenance__status__in=UNDERWAY_STATUSES
    )
    if scope.page_id is not None:
        documents = documents.filter(maintenance__page_id=scope.page_id)
    if scope.public_only:
        documents = documents.filter(maintenance__page__private=False)
    return documents.order_by("maintenance_id")


def _index(scope: Scope) -> _Index:
    version = tuple(_incident_documents(scope).values_list("incident_id", "text_hash")) + tuple(
        _maintenance_documents(scope).values_list("maintenance_id", "text_hash")
    )
    with _cache_lock:
        cached = _cache.get(scope)
        if cached is not None and cached.version == version:
            _cache.move_to_end(scope)
            return cached
    incidents = list(_incident_documents(scope))
    maintenances = list(_maintenance_documents(scope))
    documents = incidents + maintenances
    blocks = [passage_vectors(d) for d in documents]
    index = _Index(
        version=tuple((d.incident_id, d.text_hash) for d in incidents)
        + tuple((d.maintenance_id, d.text_hash) for d in maintenances),
        keys=[(INCIDENT, d.incident_id) for d in incidents]
        + [(MAINTENANCE, d.maintenance_id) for d in maintenances],
        vectors=np.vstack(blocks) if blocks else np.zeros((0, 384), dtype=np.float32),
        owners=np.repeat(np.arange(len(blocks)), [len(b) for b in blocks]),
        lexical=LexicalIndex([d.text for d in documents]),
    )
    with _cache_lock:
        _cache[scope] = index
        _cache.move_to_end(scope)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def score_vectors(index_vectors: np.ndarray, owners: np.ndarray, count: int, query: np.ndarray):
    """Best passage cosine per incident (or maintenance)."""
    best = np.full(count, -1.0, dtype=np.float32)
    if count:
        np.maximum.at(best, owners, index_vectors @ query)
    return best


def _reason(cosine: float, shared: list[str]) -> str:
    reason = f"close in meaning to what was posted about it (similarity {cosine:.2f})"
    if shared:
        reason += "; words in common: " + ", ".join(shared[:5])
    return reason


def embed_query(text: str) -> np.ndarray:
    return get_embedder().embed([text[:MAX_TEXT]])[0]


def raw_scores(
    text: str, scope: Scope, query: np.ndarray | None = None
) -> tuple[list[Key], np.ndarray, np.ndarray]:
    """(keys, best passage cosine per key, squashed BM25 per key); `query` is the text's
    vector when the caller has it already."""
    index = _index(scope)
    if not index.keys:
        return [], np.zeros(0), np.zeros(0)
    text = text[:MAX_TEXT]
    query = embed_query(text) if query is None else query
    cosines = score_vectors(index.vectors, index.owners, len(index.keys), query)
    return index.keys, cosines, index.lexical.scores(text)


def combine(cosines: np.ndarray, lexical: np.ndarray, weight: float = LEXICAL_WEIGHT) -> np.ndarray:
    return confidence(cosines + weight * lexical)


def _subjects(keys: list[Key]) -> dict[Key, Incident | Maintenance]:
    wanted = {kind: [i for k, i in keys if k == kind] for kind in (INCIDENT, MAINTENANCE)}
    incidents = Incident.objects.select_related("page").prefetch_related(
        Prefetch("affected", IncidentComponent.objects.select_related("component"))
    )
    found: dict[Key, Incident | Maintenance] = {
        (INCIDENT, i.id): i for i in incidents.filter(id__in=wanted[INCIDENT])
    }
    if wanted[MAINTENANCE]:
        maintenances = Maintenance.objects.select_related("page").prefetch_related("components")
        found |= {(MAINTENANCE, m.id): m for m in maintenances.filter(id__in=wanted[MAINTENANCE])}
    return found


def component_names(subject: Incident | Maintenance) -> list[str]:
    if isinstance(subject, Maintenance):
        return [c.name for c in subject.components.all()]
    return [a.component.name for a in subject.affected.all()]


def match(
    text: str,
    scope: Scope,
    *,
    limit: int = 3,
    threshold: float = MATCH_THRESHOLD,
    query: np.ndarray | None = None,
) -> list[Match]:
    """The live incidents (and maintenance under way) `text` is about, best first, at or
    above `threshold`."""
    keys, cosines, lexical = raw_scores(text, scope, query)
    confidences = combine(cosines, lexical)
    order = [i for i in np.argsort(-confidences, kind="stable") if confidences[i] >= threshold]
    order = order[:limit]
    if not order:
        return []
    subjects = _subjects([keys[i] for i in order])
    query_terms = set(terms(text))
    found = []
    for i in order:
        subject = subjects.get(keys[i])
        if subject is None:  # deleted a moment ago
            continue
        document_terms = terms(subject.title) + [
            t for name in component_names(subject) for t in terms(name)
        ]
        shared = [t for t in dict.fromkeys(document_terms) if t in query_terms]
        found.append(
            Match(
                subject=subject,
                confidence=round(float(confidences[i]), 3),
                reason=_reason(float(cosines[i]), shared),
            )
        )
    return found
