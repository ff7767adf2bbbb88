"""How a customer's message is read: as written, and by its content words for ranking."""

from __future__ import annotations

import numpy as np

from upstate.awareness import matcher
from upstate.awareness.embedding import get_embedder


def test_content_words_drop_the_chatter():
    assert matcher._content_words("hi team, is the login slow for you today?") == "login slow"
    assert matcher._content_words("Can't sign in") == "Can't sign"


def test_the_reading_averages_the_message_and_its_content_words():
    query = matcher.embed_query("hi, my invoices page is blank", adapted=False)
    written, words = get_embedder().embed(["hi, my invoices page is blank", "invoices page blank"])
    assert np.allclose(query.written, written)
    expected = (written + words) / np.linalg.norm(written + words)
    assert np.allclose(query.reading, expected, atol=1e-6)
    assert abs(float(np.linalg.norm(query.reading)) - 1.0) < 1e-5


def test_the_adapter_moves_the_reading_and_keeps_it_unit_length():
    plain = matcher.embed_query("hi, my invoices page is blank", adapted=False)
    adapted = matcher.embed_query("hi, my invoices page is blank")
    assert np.allclose(adapted.written, plain.written)
    assert np.allclose(adapted.reading, get_embedder().adapt(plain.reading), atol=1e-6)
    assert abs(float(np.linalg.norm(adapted.reading)) - 1.0) < 1e-5
    # a learned map, not the identity, yet still close to the model's own space
    assert 0.5 < float(adapted.reading @ plain.reading) < 0.9999


def test_a_message_of_content_words_only_is_embedded_once():
    query = matcher.embed_query("webhooks delayed", adapted=False)
    assert query.reading is query.written


def test_the_mean_passage_cosine_per_incident():
    vectors = np.array([[1, 0], [0, 1], [1, 0]], dtype=np.float32)
    owners = np.array([0, 0, 1])
    scores = matcher.score_vectors(vectors, owners, 2, np.array([1, 0], dtype=np.float32))
    assert np.allclose(scores, [0.5, 1.0])


def test_a_report_reads_as_one_and_a_question_does_not():
    reports = ["your login keeps timing out", "the dashboard is blank since this morning"]
    questions = ["how do I change my avatar?", "can I pay by invoice instead of card?"]
    for text in reports:
        assert matcher.embed_query(text).report > 0.8, text
    for text in questions:
        assert matcher.embed_query(text).report < 0.2, text


def test_the_confidence_is_scaled_by_the_report_probability():
    assert np.allclose(
        matcher.combine(np.array([0.55, 0.55]), np.zeros(2), np.array([1.0, 0.5])), [1.0, 0.5]
    )


def test_a_word_or_two_is_taken_for_a_report():
    assert matcher.embed_query("webhooks").report == 1.0
    assert matcher.embed_query("sso login").report == 1.0
    assert matcher.embed_query("what are webhooks?").report < 1.0
