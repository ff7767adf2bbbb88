"""Re-index a page's incidents in the worker after anything the matcher reads changes.

Signals rather than calls from the incident and page services: every way of changing an
incident, its updates, its components or the page (services, admin, data migrations) is
covered, and those services stay unaware of matching."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from upstate.incidents.models import Incident, IncidentComponent, IncidentUpdate
from upstate.lib.coalesce import Coalescer, register
from upstate.maintenance.models import Maintenance, MaintenanceUpdate
from upstate.pages.models import Component, StatusPage


def _enqueue_index(page_id: int) -> None:
    from upstate.awareness.tasks import index_page_task

    index_page_task(page_id)


# In web and worker processes a burst of changes to a page queues one re-index every half
# second, not one per change: the task reads the page when it runs, which is after the change
# that marked it committed. With 20 API clients writing, queuing a task per change cost more
# than the rest of the write (bench/write_storm.py).
INDEXER = register(Coalescer("index-requests", _enqueue_index))


class _Pending:
    """The queued re-index of one page: the first of its commit callbacks to run asks for it,
    the others (a transaction saves several rows of one incident) do nothing."""

    def __init__(self) -> None:
        self.done = False


def request_index(page_id: int) -> None:
    """Index the page once the current transaction commits (at once outside one)."""
    connection = transaction.get_connection()
    pending: dict[int, _Pending] = connection.__dict__.setdefault("awareness_pending", {})
    token = pending.get(page_id)
    if token is None or token.done:
        token = pending[page_id] = _Pending()

    def run() -> None:
        if token.done:
            return
        token.done = True
        if INDEXER.started:
            INDEXER.mark(page_id)
        else:
            _enqueue_index(page_id)

    # robust: the change is committed whatever happens to the queue.
    transaction.on_commit(run, robust=True)


def _incident_changed(sender, instance: Incident, **kwargs) -> None:  # noqa: ANN001
    request_index(instance.page_id)


def _part_changed(sender, instance: IncidentUpdate | IncidentComponent, **kwargs) -> None:  # noqa: ANN001
    # The incident is usually at hand (services save an update with it): no query then.
    if type(instance).incident.is_cached(instance):
        request_index(instance.incident.page_id)
        return
    page_id = Incident.objects.filter(id=instance.incident_id).values_list("page_id", flat=True)
    for found in page_id:
        request_index(found)


def _maintenance_changed(sender, instance: Maintenance, **kwargs) -> None:  # noqa: ANN001
    request_index(instance.page_id)


def _maintenance_update_changed(sender, instance: MaintenanceUpdate, **kwargs) -> None:  # noqa: ANN001
    found = Maintenance.objects.filter(id=instance.maintenance_id).values_list("page_id", flat=True)
    for page_id in found:
        request_index(page_id)


def _component_changed(sender, instance: Component, **kwargs) -> None:  # noqa: ANN001
    request_index(instance.page_id)


def _page_changed(sender, instance: StatusPage, created: bool, **kwargs) -> None:  # noqa: ANN001
    if not created:
        request_index(instance.id)


post_save.connect(_incident_changed, sender=Incident, dispatch_uid="awareness-incident")
for model in (IncidentUpdate, IncidentComponent):
    post_save.connect(_part_changed, sender=model, dispatch_uid=f"awareness-save-{model.__name__}")
    post_delete.connect(_part_changed, sender=model, dispatch_uid=f"awareness-del-{model.__name__}")
post_save.connect(_component_changed, sender=Component, dispatch_uid="awareness-component")
post_save.connect(_page_changed, sender=StatusPage, dispatch_uid="awareness-page")
post_save.connect(_maintenance_changed, sender=Maintenance, dispatch_uid="awareness-maintenance")
m2m_changed.connect(
    _maintenance_changed, sender=Maintenance.components.through, dispatch_uid="awareness-m-parts"
)
post_save.connect(
    _maintenance_update_changed, sender=MaintenanceUpdate, dispatch_uid="awareness-m-update"
)
