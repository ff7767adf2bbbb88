"""Incident vectors are computed after the change commits, and again when what the matcher
reads changes: title, updates, components, page name."""

from __future__ import annotations

from upstate.awareness.documents import passage_vectors
from upstate.awareness.models import IncidentDocument
from upstate.incidents.services import change_incident, post_update
from upstate.pages.services import update_component, update_page


def _document(incident):  # noqa: ANN001, ANN202
    return IncidentDocument.objects.get(incident=incident)


def test_a_declared_incident_is_indexed(login_incident):
    document = _document(login_incident)
    assert "Authentication latency degraded" in document.text
    assert "Login (Signing in to your account)" in document.text
    assert "Acme Status" in document.text
    # the whole incident, then its title, its components and its one update
    assert passage_vectors(document).shape == (4, 384)
    whole, title, components, update = document.text.split("\n")
    assert whole.startswith(title) and whole.endswith("(Acme Status)")
    assert components == "Affected: Login (Signing in to your account)."
    assert update.startswith("We are investigating elevated response times")


def test_passages_stay_one_line_each(declare, page):
    incident = declare(page, "Search is slow", message="Queries time out.\n\nWe are on it.")
    document = _document(incident)
    assert document.text.split("\n") == [
        "Search is slow. Queries time out. We are on it. (Acme Status)",
        "Search is slow.",
        "Queries time out. We are on it.",
    ]
    assert passage_vectors(document).shape == (3, 384)


def test_nothing_is_indexed_before_commit(page, django_capture_on_commit_callbacks):
    from upstate.incidents.services import create_incident

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = create_incident(page=page, title="Search is slow", notify=False)
        assert not IncidentDocument.objects.filter(incident=incident).exists()
    assert len(callbacks) >= 1


def test_changes_re_index(login_incident, django_capture_on_commit_callbacks):
    incident = login_incident
    seen = {_document(incident).text_hash}
    component = incident.affected.get().component
    steps = [
        lambda: change_incident(incident=incident, title="Sign-in is slow"),
        lambda: post_update(incident=incident, status="identified", message="A bad cache node."),
        lambda: update_component(component=component, name="Sign-in"),
        lambda: update_page(page=incident.page, name="Acme Cloud Status"),
    ]
    for step in steps:
        with django_capture_on_commit_callbacks(execute=True):
            step()
        digest = _document(incident).text_hash
        assert digest not in seen
        seen.add(digest)
    text = _document(incident).text
    assert "Sign-in is slow" in text and "A bad cache node." in text
    assert "Sign-in (" in text and "Acme Cloud Status" in text


def test_a_resolved_incident_leaves_the_index(login_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_update(incident=login_incident, status="resolved", message="Fixed.")
    assert not IncidentDocument.objects.filter(incident=login_incident).exists()


def test_the_periodic_sweep_catches_up_a_lost_re_index(login_incident):
    from upstate.awareness.tasks import index_active_pages_task

    IncidentDocument.objects.all().delete()  # as if the queued task had been lost
    index_active_pages_task.call_local()
    assert IncidentDocument.objects.filter(incident=login_incident).exists()
    assert index_active_pages_task.call_local() == 0  # nothing changed: nothing embedded


def test_an_update_embeds_only_the_passages_that_changed(login_incident, monkeypatch):
    from upstate.awareness import documents
    from upstate.awareness.embedding import get_embedder

    embedder = get_embedder()
    before = passage_vectors(_document(login_incident))
    embedded: list[str] = []
    real = embedder.embed

    def counting(texts: list[str]):  # noqa: ANN202
        embedded.extend(texts)
        return real(texts)

    monkeypatch.setattr(embedder, "embed", counting)
    post_update(incident=login_incident, status="identified", message="A bad cache node.")
    documents.index_page(login_incident.page_id)

    document = _document(login_incident)
    whole, title, components, newest, older = document.text.split("\n")
    # The whole incident and the new update are new text; title, components and the first
    # update keep their vectors, and the vectors equal what embedding them afresh gives.
    assert sorted(embedded) == sorted([whole, newest])
    vectors = passage_vectors(document)
    assert (vectors[1] == before[1]).all() and (vectors[4] == before[3]).all()
    assert abs(vectors - real(document.text.split("\n"))).max() < 1e-6


def test_changes_during_an_index_run_fold_into_one_more_run(monkeypatch):
    import threading

    from upstate.awareness import tasks

    calls: list[int] = []
    entered, release = threading.Event(), threading.Event()

    def slow_index(page_id: int) -> int:
        calls.append(page_id)
        entered.set()
        release.wait(10)
        return 1

    monkeypatch.setattr(tasks, "index_page", slow_index)
    monkeypatch.setattr(tasks, "INDEX_INTERVAL", 0.0)
    monkeypatch.setattr(tasks, "INDEX_CPU_SHARE", 1e9)
    first = threading.Thread(target=tasks.index_page_task.call_local, args=(7,))
    first.start()
    assert entered.wait(10)

    # Three more changes while the first run embeds: they return at once...
    assert [tasks.index_page_task.call_local(7) for _ in range(3)] == [0, 0, 0]
    release.set()
    first.join(10)

    # ...and the running task went round once more for all of them.
    assert calls == [7, 7]
    assert tasks._indexing == {}


def test_a_costly_index_run_waits_longer_before_the_next():
    from upstate.awareness.tasks import (
        INDEX_CPU_SHARE,
        INDEX_INTERVAL,
        MAX_INDEX_INTERVAL,
        pause_after,
    )

    assert pause_after(0.01) == INDEX_INTERVAL  # a cheap run: the next within a second
    assert INDEX_INTERVAL < pause_after(0.1) < MAX_INDEX_INTERVAL
    assert pause_after(0.1) == 0.1 / INDEX_CPU_SHARE
    assert pause_after(10.0) == MAX_INDEX_INTERVAL  # never more than a few seconds behind


def test_only_the_latest_updates_are_read(declare, page):
    from upstate.awareness.documents import MAX_UPDATES, index_page

    incident = declare(page, "Search is slow", message="Update 0.")
    for number in range(1, MAX_UPDATES + 2):
        post_update(incident=incident, status="identified", message=f"Update {number}.")
    index_page(page.id)
    lines = _document(incident).text.split("\n")
    newest_first = [f"Update {n}." for n in range(MAX_UPDATES + 1, 1, -1)]
    assert lines[2:] == newest_first  # after the whole and the title; no components
    assert lines[0] == f"Search is slow. {' '.join(newest_first)} (Acme Status)"
