"""The embeddable status script, ``/widget.js``: one static file for every host."""

from __future__ import annotations

import functools
from pathlib import Path

from upstate.public.snapshot import Document, make_document

WIDGET_FILE = Path(__file__).parent / "static" / "public" / "widget.js"
# Sites embed the script on every page view: let browsers keep it a while, then revalidate.
WIDGET_CACHE_CONTROL = "public, max-age=300"


@functools.cache
def widget_document() -> tuple[Document, float]:
    """The script as a document (gzip and ETag prepared) and when it was written."""
    return make_document("widget.js", WIDGET_FILE.read_bytes()), WIDGET_FILE.stat().st_mtime
