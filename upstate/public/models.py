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
    data = models.BinaryField(help_text="The documents, encoded by snapshot.encode.")

    class Meta:
        # Web processes ask "which page has which version" every few seconds (or tenths, on
        # SQLite): an index-only scan.
        indexes = [models.Index(fields=["page_code", "id"], name="public_snapshot_version")]

    def __str__(self) -> str:
        return f"{self.page_code} v{self.id}"
