"""BM25 over the same text the embedder reads, so exact product words ("SSO", "webhook",
"invoice") still count when the sentence vectors are close."""

from __future__ import annotations

import math
import re

import numpy as np
from rank_bm25 import BM25Okapi

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    """a about after again all am an and any are as at be been being but by can cannot could
    did do does doing don down for from had has have having he her here hers him his how i if
    in into is it its just me more most my no nor not now of off on once only or other our out
    over own same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who why
    will with would you your yours hi hello hey please thanks thank help anyone still since
    today guys team""".split()
)


def _stem(word: str) -> str:
    """A crude suffix strip: enough that "invoice", "invoices", "invoiced" and "invoicing"
    meet (as "invoic")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


class _BM25(BM25Okapi):
    """Okapi BM25 with Lucene's IDF, log(1 + (N - n + 0.5) / (n + 0.5)): never zero or
    negative, so an organization with one or two live incidents still gets lexical scores."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))


class LexicalIndex:
    """BM25 scores of a query against a fixed list of documents, squashed into [0, 1)."""

    def __init__(self, documents: list[str]) -> None:
        self.size = len(documents)
        tokenized = [terms(d) or ["\0"] for d in documents]
        self.bm25 = _BM25(tokenized) if documents else None

    def scores(self, query: str) -> np.ndarray:
        words = terms(query)
        if self.bm25 is None or not words:
            return np.zeros(self.size, dtype=np.float32)
        raw = np.maximum(np.asarray(self.bm25.get_scores(words), dtype=np.float32), 0.0)
        # BM25 has no upper bound; s / (s + 4) keeps one strong word useful without letting a
        # long exact match drown the meaning.
        return raw / (raw + 4.0)
