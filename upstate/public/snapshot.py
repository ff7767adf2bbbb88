"""Placeholder until the snapshot builder lands."""

from __future__ import annotations


def build_snapshot(page) -> None:  # noqa: ANN001
    pass


def remove_snapshot(page_id: int) -> None:
    pass
