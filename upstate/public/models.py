from __future__ import annotations

from django.db import models


class PublicSnapshot(models.Model):
    """A build of a page's public documents, where every web process on every host reads it.

    The id is the build's version: builds of one page are serialised (``snapshot.build``), so
    a later build of a page always has a higher id, and a web process never replaces what it
    serves with a lower one. Only the newest build of each page is kept."""

    id = models.BigAutoField(primary_key=True)
    page_code = models.CharField(max_length=32)
    built_at = models.FloatField(help_text="Unix time the build started reading the page.")
    data = models.BinaryField(
        help_text="The manifest (snapshot.manifest): what the page is and "
        "which document each path shows; the bytes are PublicDocument rows."
    )

    class Meta:
        # Web processes ask "which page has which version" every few seconds (or tenths, on
        # SQLite): an index-only scan.
        indexes = [models.Index(fields=["page_code", "id"], name="public_snapshot_version")]

    def __str__(self) -> str:
        return f"{self.page_code} v{self.id}"


class PublicDocument(models.Model):
    """One document's bytes, named by their digest (the ETag's), shared by every version and
    page that shows them: a build stores only documents no version holds yet, and a web
    process fetches only those it does not hold (a page with a long history has thousands of
    documents, and a change touches a handful)."""

    digest = models.CharField(max_length=64, primary_key=True)
    body = models.BinaryField()
    gzipped = models.BinaryField(null=True, help_text="The body gzipped, for bodies worth it.")

    def __str__(self) -> str:
        return self.digest
