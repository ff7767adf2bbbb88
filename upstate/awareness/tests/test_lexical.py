from __future__ import annotations

from upstate.awareness.lexical import LexicalIndex, terms


def test_terms_drop_stopwords_and_fold_plurals():
    assert terms("The invoices are failing for my team") == ["invoic", "fail"]
    assert terms("invoice invoiced invoicing") == ["invoic"] * 3


def test_bm25_prefers_the_document_with_the_rare_word():
    index = LexicalIndex(["Webhook deliveries delayed", "Dashboard not loading"])
    scores = index.scores("our webhook endpoint gets nothing")
    assert scores[0] > 0 and scores[1] == 0
    assert all(0 <= s < 1 for s in scores)


def test_an_empty_index_or_query_scores_nothing():
    assert LexicalIndex([]).scores("anything").size == 0
    assert not LexicalIndex(["Webhook deliveries delayed"]).scores("the and of").any()


def test_a_single_document_still_scores():
    assert LexicalIndex(["Webhook deliveries delayed"]).scores("webhooks late")[0] > 0
