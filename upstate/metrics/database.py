"""Figures read at scrape time, with a few aggregate queries (never per request): deliveries
by channel and status, the age of each page's public documents (built, and served by this
process), workers' heartbeats, monitors by status. Pages are named by their code only."""

from __future__ import annotations

import time
from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        from upstate.monitors.models import Monitor
        from upstate.notifications.models import Delivery, Worker
        from upstate.public import store
        from upstate.public.models import PublicSnapshot

        now = time.time()
        deliveries = GaugeMetricFamily(
            "upstate_deliveries",
            "Notification deliveries by channel and status (pending, sending, sent, failed "
            "(will retry), permanent)",
            labels=["channel", "status"],
        )
        rows = Delivery.objects.order_by().values_list("channel", "status").annotate(n=Count("id"))
        for channel, status, count in rows:
            deliveries.add_metric([channel, status], count)
        yield deliveries

        built = GaugeMetricFamily(
            "upstate_public_document_age_seconds",
            "Seconds since the newest build of each page's public documents (the worker "
            "rebuilds every page every 5 minutes)",
            labels=["page"],
        )
        for code, built_at in PublicSnapshot.objects.order_by().values_list(
            "page_code", "built_at"
        ):
            built.add_metric([code], max(0.0, now - built_at))
        yield built

        served = GaugeMetricFamily(
            "upstate_public_served_age_seconds",
            "Seconds since the build of each page's public documents that this web process serves",
            labels=["page"],
        )
        for code, built_at in store.served_builds().items():
            served.add_metric([code], max(0.0, now - built_at))
        yield served
        sync = store.status()["last_sync_seconds"]
        if sync is not None:
            yield GaugeMetricFamily(
                "upstate_public_sync_age_seconds",
                "Seconds since this web process last agreed with the database on the newest "
                "public documents",
                value=sync,
            )

        workers = GaugeMetricFamily(
            "upstate_worker_heartbeat_age_seconds",
            "Seconds since each running worker's last heartbeat",
            labels=["worker"],
        )
        for code, seen_at in Worker.objects.order_by().values_list("code", "seen_at"):
            workers.add_metric([code], max(0.0, now - seen_at.timestamp()))
        yield workers

        monitors = GaugeMetricFamily("upstate_monitors", "Monitors by status", labels=["status"])
        by_status = Monitor.objects.order_by().values_list("status").annotate(n=Count("id"))
        for status, count in by_status:
            monitors.add_metric([status], count)
        yield monitors
