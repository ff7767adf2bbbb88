"""Which live incidents (or maintenance under way) a customer's message is about, with a
confidence from 0 to 1.

closeness  = mean passage cosine of the message's reading (see embed_query)
             + LEXICAL_WEIGHT * squashed BM25 (exact words)         -> which incidents, in order
confidence = clip((cosine of the message as written with the incident's whole passage
             + LEXICAL_WEIGHT * squashed BM25 - FLOOR) / SPAN, 0, 1)
             * probability that the message reports a problem          -> whether to show them

The last factor keeps questions about a feature ("can the Slack app post to a private
channel?") from matching an incident on that feature: they read close to it, but are not
about it (see embedding.py). A word or two is taken for a report (see report_probability).

Ranking and confidence read differently on purpose: the mean over passages separates
neighbouring incidents better, while the whole passage against the message as written keeps
unrelated questions below the threshold better (bench/match.py --calibrate shows both).

Responders teach it as an outage goes on: the conversations they link to an incident by hand
(in the dashboard, through the API or a helpdesk; never the links a match request made by
itself) are kept as examples of how customers describe it. A message close to an example
counts the example, less EXAMPLE_MARGIN, as its closeness for the confidence (and may rank
that incident higher, by EXAMPLE_WEIGHT, which the training pages set to nothing). The
report factor still applies, so a question stays a question however close it reads to a
linked report.

A match request embeds only the message: incident vectors come from the worker
(documents.index_page), and each organization's index is cached in the process until one of
its documents or confirmed links changes. The constants are chosen on the training pages
only (bench/match.py --set bench/match_train.json --calibrate); the docs list the accuracy
they give on the evaluation sets.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Max, Prefetch

from upstate.awareness.documents import passage_vectors
from upstate.awareness.embedding import DIMENSIONS, from_bytes, get_embedder, unit
from upstate.awareness.lexical import STOPWORDS, LexicalIndex, terms
from upstate.awareness.models import (
    ConversationLink,
    IncidentDocument,
    LinkedVia,
    MaintenanceDocument,
)
from upstate.incidents.models import ACTIVE_STATUSES, Incident, IncidentComponent, Visibility
from upstate.maintenance.models import UNDERWAY_STATUSES, Maintenance

LEXICAL_WEIGHT = 0.10
FLOOR = 0.25
SPAN = 0.30
# Shown as a match at or above this confidence; linked automatically at or above LINK.
MATCH_THRESHOLD = 0.30
LINK_THRESHOLD = 0.50
# Listed as a "possible match" in the dashboard from this confidence on.
POSSIBLE_THRESHOLD = 0.25
MAX_TEXT = 2000
KEYWORD_QUERY_WORDS = 2  # up to this many words, a message is taken for a report
# Confirmed links as examples: how much a close example adds to the ranking (above
# EXAMPLE_FLOOR), and how much lower than a passage an example counts for the confidence
# (two customers' messages read closer to each other than either reads to a status update).
# Chosen on the training pages (bench/match.py --set bench/match_train.json --calibrate) by a
# rule fixed beforehand: the best top-1 after the first links whose false positives stay
# those without links. There, any ranking weight cost top-1 (97.9 % at 0, 95.4 % at 0.5): the
# adapter, fitted on those pages, already ranks them; examples raise the confidence only.
EXAMPLE_WEIGHT = 0.0
EXAMPLE_FLOOR = 0.3
EXAMPLE_MARGIN = 0.2
EXAMPLES_PER_INCIDENT = 20  # the latest ones
CONFIRMED = (LinkedVia.DASHBOARD, LinkedVia.API, LinkedVia.WEBHOOK)
_QUERY_WORD = re.compile(r"[\w']+")


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
    wholes: np.ndarray  # the row of each key's whole passage (its first)
    lexical: LexicalIndex
    passages: list[list[str]]  # each key's passage texts, in the order of its vectors
    examples: np.ndarray  # the vectors of conversations linked by a person, stacked
    example_owners: np.ndarray  # the position in `keys` of each example row
    example_texts: list[str]


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


def _confirmed_links(scope: Scope):  # noqa: ANN202 (a queryset of ConversationLink)
    documents = _incident_documents(scope)
    return (
        ConversationLink.objects.filter(
            incident_id__in=documents.values("incident_id"), linked_via__in=CONFIRMED
        )
        .exclude(conversation__vector=b"")
        .order_by("incident_id", "-id")
    )


def _examples(scope: Scope, keys: list[Key]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    position = {key: n for n, key in enumerate(keys)}
    rows, owners, texts, taken = [], [], [], {}
    for incident_id, vector, text in _confirmed_links(scope).values_list(
        "incident_id", "conversation__vector", "conversation__text"
    ):
        key = (INCIDENT, incident_id)
        if key not in position or taken.get(key, 0) >= EXAMPLES_PER_INCIDENT:
            continue
        taken[key] = taken.get(key, 0) + 1
        rows.append(from_bytes(vector))
        owners.append(position[key])
        texts.append(text)
    if not rows:
        return np.zeros((0, DIMENSIONS), dtype=np.float32), np.zeros(0, dtype=int), []
    return np.vstack(rows), np.array(owners), texts


def _index(scope: Scope) -> _Index:
    version = (
        tuple(_incident_documents(scope).values_list("incident_id", "text_hash"))
        + tuple(_maintenance_documents(scope).values_list("maintenance_id", "text_hash"))
        + (tuple(_confirmed_links(scope).aggregate(n=Count("id"), last=Max("id")).values()),)
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
    keys = [(INCIDENT, d.incident_id) for d in incidents] + [
        (MAINTENANCE, d.maintenance_id) for d in maintenances
    ]
    examples, example_owners, example_texts = _examples(scope, keys)
    index = _Index(
        version=version,
        keys=keys,
        vectors=np.vstack(blocks) if blocks else np.zeros((0, 384), dtype=np.float32),
        owners=np.repeat(np.arange(len(blocks)), [len(b) for b in blocks]),
        wholes=np.cumsum([0] + [len(b) for b in blocks[:-1]]).astype(int),
        lexical=LexicalIndex([d.text for d in documents]),
        passages=[d.text.split("\n") for d in documents],
        examples=examples,
        example_owners=example_owners,
        example_texts=example_texts,
    )
    with _cache_lock:
        _cache[scope] = index
        _cache.move_to_end(scope)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def score_vectors(
    index_vectors: np.ndarray, owners: np.ndarray, count: int, query: np.ndarray
) -> np.ndarray:
    """Mean passage cosine per incident (or maintenance)."""
    if not count:
        return np.zeros(0, dtype=np.float32)
    sums = np.bincount(owners, weights=index_vectors @ query, minlength=count)
    return (sums / np.maximum(np.bincount(owners, minlength=count), 1)).astype(np.float32)


EXCERPT = 90


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _reason(index: _Index, scores: Scores, query: Query, i: int, shared: list[str]) -> str:
    """What the match leaned on: the closest confirmed example when that counted, otherwise
    the incident's passage (title, components or an update) closest to the message."""
    example, row = scores._examples(), scores.example_rows
    if row is not None and row[i] >= 0 and example[i] - EXAMPLE_MARGIN > scores.cosines[i]:
        reason = (
            f'reads like a conversation a responder linked to it: "'
            f'{_excerpt(index.example_texts[row[i]])}" (similarity {example[i]:.2f})'
        )
    else:
        rows = np.flatnonzero(index.owners == i)
        cosines = index.vectors[rows] @ query.reading
        # the whole passage (the first) only when the incident has nothing else
        best = 1 + int(np.argmax(cosines[1:])) if len(rows) > 1 else 0
        texts = index.passages[i]
        text = texts[best] if best < len(texts) else texts[0]
        what = (
            "its title"
            if best == 1
            else "the affected components"
            if text.startswith("Affected:")
            else "what was posted"
        )
        reason = f'closest to {what}: "{_excerpt(text)}" (similarity {cosines[best]:.2f})'
    if shared:
        reason += "; words in common: " + ", ".join(shared[:5])
    return reason


def _content_words(text: str) -> str:
    return " ".join(w for w in _QUERY_WORD.findall(text) if w.lower() not in STOPWORDS)


def embed_written(text: str) -> np.ndarray:
    """The message's vector as written, as conversations keep it."""
    return get_embedder().embed([text[:MAX_TEXT]])[0]


@dataclass(frozen=True)
class Query:
    """A message's vectors: as written (for the confidence, and kept with a conversation), and
    the reading the incidents are ranked by."""

    written: np.ndarray
    reading: np.ndarray
    report: float  # the probability that the message reports a problem


def embed_query(text: str, *, adapted: bool = True) -> Query:
    """The reading is the mean of the message as written and of its content words alone,
    moved by the embedder's adapter towards how incidents are written (`adapted=False`
    leaves that out, for the benchmark's comparison). Customers wrap the symptom in chatter
    ("hi, is something wrong today?") that pulls the vector towards every incident alike;
    the content words keep the symptom, the message as written keeps what dropping words
    loses (negations, word order)."""
    text = text[:MAX_TEXT]
    content = _content_words(text)
    embedder = get_embedder()
    if not content or content == text:
        written = embedder.embed([text])[0]
        reading = written
    else:
        written, words_only = embedder.embed([text, content])
        reading = unit(written + words_only)
    return Query(
        written=written,
        reading=embedder.adapt(reading) if adapted else reading,
        report=float(report_probability([text], written[None, :])[0]),
    )


def report_probability(texts: list[str], written: np.ndarray) -> np.ndarray:
    """For each message (its text and its vector as written), the probability that it
    reports a problem. A word or two ("webhooks", "sso") names a feature rather than asks or
    reports anything: while an incident is live on it, that incident is the answer."""
    short = np.array([len(_QUERY_WORD.findall(t)) <= KEYWORD_QUERY_WORDS for t in texts])
    return np.where(short, 1.0, get_embedder().report_probability(written))


NO_EXAMPLE = -1.0


@dataclass
class Scores:
    """Per key: the parts of the ranking score and of the confidence."""

    keys: list[Key]
    means: np.ndarray  # the reading's mean passage cosine
    cosines: np.ndarray  # the message as written against the whole passage
    lexical: np.ndarray  # squashed BM25
    report: float  # the probability that the message reports a problem
    # the message as written against the closest confirmed example (NO_EXAMPLE without one)
    examples: np.ndarray | None = None
    example_rows: np.ndarray | None = None  # the closest example's row per key (-1: none)

    def _examples(self) -> np.ndarray:
        return np.full(len(self.keys), NO_EXAMPLE) if self.examples is None else self.examples

    def closeness(
        self, weight: float = LEXICAL_WEIGHT, example_weight: float = EXAMPLE_WEIGHT
    ) -> np.ndarray:
        """What the incidents are ranked by."""
        boost = np.clip(self._examples() - EXAMPLE_FLOOR, 0.0, None)
        return self.means + weight * self.lexical + example_weight * boost

    def confidences(
        self, weight: float = LEXICAL_WEIGHT, margin: float = EXAMPLE_MARGIN
    ) -> np.ndarray:
        closest = np.maximum(self.cosines, self._examples() - margin)
        return combine(closest, self.lexical, self.report, weight)


def _closest_examples(index: _Index, written: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per key, the cosine of the closest example and its row (-1 without one)."""
    best = np.full(len(index.keys), NO_EXAMPLE)
    rows = np.full(len(index.keys), -1)
    if len(index.examples):
        cosines = index.examples @ written
        for row in np.argsort(cosines):  # ascending: the closest of each key is written last
            best[index.example_owners[row]] = cosines[row]
            rows[index.example_owners[row]] = row
    return best, rows


def _scored(text: str, scope: Scope, query: Query | None) -> tuple[_Index, Query, Scores]:
    index = _index(scope)
    text = text[:MAX_TEXT]
    if not index.keys:
        return index, query, Scores([], np.zeros(0), np.zeros(0), np.zeros(0), 0.0)
    query = embed_query(text) if query is None else query
    examples, example_rows = _closest_examples(index, query.written)
    scores = Scores(
        keys=index.keys,
        means=score_vectors(index.vectors, index.owners, len(index.keys), query.reading),
        cosines=index.vectors[index.wholes] @ query.written,
        lexical=index.lexical.scores(text),
        report=query.report,
        examples=examples,
        example_rows=example_rows,
    )
    return index, query, scores


def raw_scores(text: str, scope: Scope, query: Query | None = None) -> Scores:
    """The scores of every live incident and maintenance in `scope`; `query` is the text's
    vectors when the caller has them already."""
    return _scored(text, scope, query)[2]


def combine(
    cosines: np.ndarray,
    lexical: np.ndarray,
    report: np.ndarray | float,
    weight: float = LEXICAL_WEIGHT,
) -> np.ndarray:
    return confidence(cosines + weight * lexical) * report


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
    query: Query | None = None,
) -> list[Match]:
    """The live incidents (and maintenance under way) `text` is about, best first, at or
    above `threshold`."""
    index, query, scores = _scored(text, scope, query)
    keys, confidences = scores.keys, scores.confidences()
    ranked = np.argsort(-scores.closeness(), kind="stable")
    order = [i for i in ranked if confidences[i] >= threshold][:limit]
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
                reason=_reason(index, scores, query, i, shared),
            )
        )
    return found
