"""Versions in the database: a build stores the bytes no version holds yet, a reader fetches
what it lacks, and bytes nothing shows any more are collected."""

from __future__ import annotations

from upstate.incidents.services import create_incident
from upstate.public import store
from upstate.public.models import PublicDocument, PublicSnapshot
from upstate.public.snapshot import (
    build_snapshot,
    collect_documents,
    decode,
    digest_of,
    encode,
    latest_snapshot,
)


def test_a_small_change_stores_only_the_documents_it_changed(page, api_component):
    first = build_snapshot(page)
    stored = PublicDocument.objects.count()
    assert stored == len({digest_of(doc) for doc in first.documents.values()})

    create_incident(page=page, title="Checkout errors", status="investigating", impact="major")
    second = build_snapshot(page)

    changed = {digest_of(d) for d in second.documents.values()} - {
        digest_of(d) for d in first.documents.values()
    }
    assert 0 < len(changed) < len(second.documents)
    assert PublicDocument.objects.count() == stored + len(changed)
    assert PublicSnapshot.objects.filter(page_code=page.code).count() == 1


def test_a_reader_gets_the_same_bytes_the_builder_served(page, api_component):
    create_incident(page=page, title="Checkout errors", status="investigating", impact="major")
    built = build_snapshot(page)

    read = latest_snapshot(page.code)

    assert read.version == built.version
    assert read.documents == built.documents
    assert decode(encode(read), version=read.version).documents == built.documents


def test_unused_documents_are_collected_and_used_ones_kept(page):
    build_snapshot(page)
    create_incident(page=page, title="Checkout errors", status="investigating", impact="major")
    newest = build_snapshot(page)

    assert collect_documents() > 0

    kept = set(PublicDocument.objects.values_list("digest", flat=True))
    assert kept == {digest_of(doc) for doc in newest.documents.values()}
    store.clear()
    assert latest_snapshot(page.code).documents == newest.documents


def test_a_damaged_disk_copy_is_refused():
    assert decode(b"not a snapshot", version=1) is None


def test_a_storm_of_versions_writes_the_disk_copy_now_and_then_and_the_newest_last(
    page, monkeypatch
):
    from upstate.public.store import load_disk_copies

    first = build_snapshot(page)  # the first copy of a page is written at once
    create_incident(page=page, title="Checkout errors", status="investigating", impact="major")
    newest = build_snapshot(page)

    store.clear()
    load_disk_copies()
    assert store.snapshot_of(page.code).version == first.version  # not rewritten yet

    store.install(newest)
    monkeypatch.setattr(store, "COPY_SECONDS", 0.0)
    store.flush_copies()
    store.clear()
    load_disk_copies()
    assert store.snapshot_of(page.code).version == newest.version
