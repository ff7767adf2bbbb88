"""Counters of attempts per key (a hashed email, a client address) in fixed windows."""

from __future__ import annotations

from django.db import models


class Counter(models.Model):
    """Uses of ``key`` since the window began; the window ends at ``expires_at``, and the next
    use starts a new one. Kept in the database, which every web process of every host shares
    and which counts atomically (see ``services.hit``)."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        # The hourly sweep (tasks.sweep) deletes expired windows.
        indexes = [models.Index(fields=["expires_at"], name="throttle_counter_expiry")]
