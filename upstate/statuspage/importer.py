"""`upstate import statuspage`: copy a Statuspage page (components and groups, incidents with
their updates and postmortems, scheduled maintenance, incident templates, subscribers) into
an organization's status page, as history.

* Nothing is announced: the importer writes the models itself, in bulk, and never calls the
  services that record notification events, page responders or request snapshot builds (the
  incident services stamp "now" and notify, which is what an import must not do). The
  public snapshot is rebuilt once at the end.
* Idempotent: every object keeps its Statuspage id (`statuspage_id`), looked up only within
  the target page (components, groups, subscribers) or organization (incidents,
  maintenance, templates), so a second run updates, never duplicates, and another
  organization's objects are never read or touched even when ids collide.
* Each kind is fetched completely first, then written in one transaction: a source that
  fails halfway (the API's third page of incidents) or a database error leaves nothing of
  that kind written, while the kinds before it stay (a later run picks up from there;
  incidents need their components anyway). One transaction per kind, not per batch: a
  kind of thousands of rows is written in seconds, so there is nothing to gain from
  committing in between and an all-or-nothing rule is simple to state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from upstate.audit.services import record
from upstate.incidents import template_services
from upstate.incidents.models import (
    Impact,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentTemplate,
    IncidentUpdate,
    Postmortem,
    PostmortemStatus,
    Source,
    UpdateComponentChange,
)
from upstate.incidents.services import MAX_MESSAGE
from upstate.lib import text as accepted_text
from upstate.lib.errors import InvalidInput
from upstate.maintenance.models import (
    UNDERWAY_STATUSES,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
)
from upstate.orgs.models import Organization
from upstate.pages.models import Component, ComponentGroup, ComponentStatus, StatusPage
from upstate.statuspage import enums
from upstate.statuspage.source import FetchFailed
from upstate.subscribers.models import Channel, Subscriber
from upstate.subscribers.services import clean_address, offered_channels

Obj = dict[str, Any]
Progress = Callable[[str], None]
CHUNK = 100  # incidents written per round of bulk statements (and per progress line)
BATCH = 500  # rows per INSERT/UPDATE statement


class Skip(Exception):
    """One upstream object that cannot be brought; the reason is counted in the summary."""


@dataclass
class KindReport:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    failed: str | None = None
    missing: str | None = None  # the source does not hold this kind

    def describe(self) -> str:
        if self.failed:
            return f"{self.kind}: FAILED, nothing of this kind was imported: {self.failed}"
        if self.missing:
            return f"{self.kind}: not imported ({self.missing})"
        line = f"{self.kind}: {self.created} created, {self.updated} updated, "
        line += f"{self.unchanged} unchanged"
        if self.skipped:
            total = sum(self.skipped.values())
            reasons = "; ".join(f"{reason} ({n})" for reason, n in self.skipped.most_common())
            line += f"; skipped {total} {self.kind}: {reasons}"
        return "\n".join([line, *(f"  {note}" for note in self.notes)])


@dataclass
class ImportReport:
    page: StatusPage
    page_created: bool
    kinds: list[KindReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(k.failed for k in self.kinds)

    def kind(self, name: str) -> KindReport:
        return next(k for k in self.kinds if k.kind == name)

    def describe(self) -> str:
        made = "created" if self.page_created else "existing"
        lines = [f"Imported into page {self.page.slug} ({made}) of {self.page.org.slug}:"]
        lines += [k.describe() for k in self.kinds]
        if not self.ok:
            lines.append(
                "The import stopped. Run the same command again: what was imported is "
                "updated, not duplicated."
            )
        return "\n".join(lines)


# --- reading upstream values -----------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as Statuspage writes them ("Z", an offset, or none: UTC)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise Skip("unreadable time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise Skip("unreadable time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _text(value: Any, limit: int) -> str:
    """Upstream text in the form Upstate keeps: characters the accepted-text rule refuses are
    removed (Statuspage never checked for them), trimmed, cut to `limit`."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return accepted_text.xml_safe(value).strip()[:limit]


def _name(value: Any, limit: int) -> str:
    name = _text(value, limit)
    if not name:
        raise Skip("no name")
    return name


def _bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def _component_status(value: Any) -> str | None:
    return value if value in ComponentStatus.values else None


def _bulk_created_at(model: type, rows: list[Any], fields: list[str]) -> None:
    """Put back times that auto_now_add / auto_now overwrote on insert (history keeps
    Statuspage's); bulk_update writes the attributes as they are."""
    if rows:
        model.objects.bulk_update(rows, fields, batch_size=BATCH)


# --- the importer ------------------------------------------------------------------------------


class Importer:
    def __init__(
        self,
        *,
        org: Organization,
        page: StatusPage,
        source: Any,
        trust_confirmed: bool = False,
        progress: Progress = lambda line: None,
    ) -> None:
        if page.org_id != org.id:
            raise InvalidInput("page", "belongs to another organization")
        self.org = org
        self.page = page
        self.source = source
        self.trust_confirmed = trust_confirmed
        self.progress = progress
        self.now = timezone.now()
        self.confirmations: list[int] = []

    # Local objects by Statuspage id, always of this page only.
    def _groups(self) -> dict[str, ComponentGroup]:
        found = ComponentGroup.objects.filter(page=self.page, statuspage_id__isnull=False)
        return {g.statuspage_id: g for g in found}

    def _components(self) -> dict[str, Component]:
        found = Component.objects.filter(page=self.page, statuspage_id__isnull=False)
        return {c.statuspage_id: c for c in found.select_related("group")}

    def run(self, report: ImportReport) -> ImportReport:
        steps: list[tuple[list[str], str, Callable[..., None]]] = [
            (["component groups"], "component_groups", self._import_groups),
            (["components"], "components", self._import_components),
            (["incident templates"], "incident_templates", self._import_templates),
            (["incidents", "maintenance"], "incidents", self._import_history),
            (["subscribers"], "subscribers", self._import_subscribers),
        ]
        wrote = False
        for names, source_kind, step in steps:
            kinds = [KindReport(name) for name in names]
            report.kinds.extend(kinds)
            try:
                items = self.source.fetch(source_kind, self.progress)
            except FetchFailed as exc:
                for kind in kinds:
                    kind.failed = str(exc)
                break
            if items is None:
                for kind in kinds:
                    kind.missing = f"the source has no {source_kind.replace('_', ' ')}"
                continue
            failed = False
            for kind in kinds:
                try:
                    with transaction.atomic():
                        self.confirmations = []
                        step(kind, [i for i in items if isinstance(i, dict)])
                        record(
                            org=self.org.id,
                            action="statuspage.imported",
                            target=self.page,
                            details={
                                "kind": kind.kind,
                                "created": kind.created,
                                "updated": kind.updated,
                                "skipped": sum(kind.skipped.values()),
                            },
                        )
                        self._after_commit_confirmations()
                    wrote = wrote or bool(kind.created or kind.updated)
                except DatabaseError as exc:
                    kind.created = kind.updated = kind.unchanged = 0
                    kind.skipped.clear()
                    kind.failed = f"the database refused it: {str(exc).splitlines()[0]}"
                    failed = True
                    break
            if failed:
                break
        if wrote:
            from upstate.awareness.signals import request_index
            from upstate.public.publish import rebuild_now

            self.progress("rebuilding the public page")
            rebuild_now(self.page.id)
            # Bulk writes send no signals: the matcher's index is asked for once here.
            request_index(self.page.id)
        return report

    def _after_commit_confirmations(self) -> None:
        pending = list(self.confirmations)
        if not pending:
            return

        def send() -> None:
            from upstate.subscribers.tasks import CONFIRMATION_BATCH, send_confirmations

            for start in range(0, len(pending), CONFIRMATION_BATCH):
                send_confirmations(pending[start : start + CONFIRMATION_BATCH])

        transaction.on_commit(send, robust=True)

    # --- components and groups -------------------------------------------------------------

    def _import_groups(self, kind: KindReport, items: list[Obj]) -> None:
        existing = self._groups()
        create: list[ComponentGroup] = []
        for item in items:
            spid = str(item["id"])[:32]
            try:
                wanted = {
                    "name": _name(item.get("name"), 120),
                    "description": _text(item.get("description"), MAX_MESSAGE),
                    "position": max(0, int(item.get("position") or 0)),
                }
            except (Skip, ValueError, TypeError) as exc:
                kind.skipped[str(exc) or "unreadable"] += 1
                continue
            group = existing.get(spid)
            if group is None:
                create.append(ComponentGroup(page=self.page, statuspage_id=spid, **wanted))
                kind.created += 1
            elif _assign(group, wanted):
                group.save()
                kind.updated += 1
            else:
                kind.unchanged += 1
        ComponentGroup.objects.bulk_create(create, batch_size=BATCH)
        # A group lists its members; components read it when they carry no group_id.
        self.group_members = {
            str(c): str(item["id"])[:32]
            for item in items
            for c in (item.get("components") or [])
            if isinstance(c, str)
        }
        self.progress(f"component groups {len(items)}/{len(items)}")

    def _held_components(self) -> set[int]:
        """Components whose status an active incident or underway maintenance of this page
        asserts: their baseline stays operational (Statuspage reports the asserted status)."""
        by_incident = IncidentComponent.objects.filter(
            incident__page=self.page, incident__resolved_at__isnull=True
        ).values_list("component_id", flat=True)
        by_maintenance = Maintenance.components.through.objects.filter(
            maintenance__page=self.page, maintenance__status__in=UNDERWAY_STATUSES
        ).values_list("component_id", flat=True)
        return set(by_incident) | set(by_maintenance)

    def _import_components(self, kind: KindReport, items: list[Obj]) -> None:
        groups = self._groups()
        members = getattr(self, "group_members", {})
        existing = self._components()
        held = self._held_components()
        create: list[Component] = []
        groups_skipped = 0
        for item in items:
            if _bool(item.get("group"), False):
                groups_skipped += 1  # a group listed as a component: brought as a group
                continue
            spid = str(item["id"])[:32]
            try:
                name = _name(item.get("name"), 120)
            except Skip as exc:
                kind.skipped[str(exc)] += 1
                continue
            group_id = item.get("group_id") or members.get(spid)
            status = _component_status(item.get("status")) or ComponentStatus.OPERATIONAL
            component = existing.get(spid)
            if component is not None and component.id in held:
                status = ComponentStatus.OPERATIONAL
            wanted = {
                "name": name,
                "description": _text(item.get("description"), MAX_MESSAGE),
                "position": _position(item.get("position")),
                "baseline_status": status,
                "showcase": _bool(item.get("showcase"), True),
                "only_show_if_degraded": _bool(item.get("only_show_if_degraded"), False),
                "start_date": _date(item.get("start_date")),
                "group_id": groups[group_id].id if group_id in groups else None,
            }
            if component is None:
                create.append(Component(page=self.page, statuspage_id=spid, **wanted))
                kind.created += 1
            elif _assign(component, wanted):
                component.save()
                kind.updated += 1
            else:
                kind.unchanged += 1
        Component.objects.bulk_create(create, batch_size=BATCH)
        _bulk_created_at(Component, _with_times(create, items), ["created_at", "updated_at"])
        if groups_skipped:
            kind.notes.append(f"{groups_skipped} group entries were brought as component groups")
        self.progress(f"components {len(items)}/{len(items)}")

    # --- templates ---------------------------------------------------------------------------

    def _import_templates(self, kind: KindReport, items: list[Obj]) -> None:
        components = self._components()
        existing = {
            t.statuspage_id: t
            for t in IncidentTemplate.objects.filter(org=self.org, statuspage_id__isnull=False)
        }
        for item in items:
            spid = str(item["id"])[:32]
            status = item.get("update_status") or IncidentStatus.INVESTIGATING
            if status not in IncidentStatus.values or status == IncidentStatus.POSTMORTEM:
                kind.skipped["a maintenance template (Upstate's templates are for incidents)"] += 1
                continue
            chosen: dict[Component, str | None] = {}
            for c in item.get("components") or []:
                ref = c.get("id") if isinstance(c, dict) else c
                local = components.get(str(ref)) if ref is not None else None
                if local is not None:
                    # A template's components carry their current status on Statuspage: an
                    # operational one follows the template's impact here.
                    listed = _component_status(c.get("status")) if isinstance(c, dict) else None
                    chosen[local] = None if listed == ComponentStatus.OPERATIONAL else listed
            fields = {
                "name": _text(item.get("name"), 120),
                "title": _text(item.get("title"), 255) or _text(item.get("name"), 255),
                "status": status,
                "message": _text(item.get("body"), MAX_MESSAGE),
                "impact": _template_impact([s for s in chosen.values() if s]),
                "notify": _bool(item.get("should_send_notifications"), True),
            }
            template = existing.get(spid)
            try:
                if template is None:
                    template_services.create_template(
                        org=self.org,
                        page=self.page,
                        components=chosen,
                        statuspage_id=spid,
                        **fields,
                    )
                    kind.created += 1
                elif _template_differs(template, fields, chosen):
                    template_services.change_template(
                        template=template, components=chosen, **fields
                    )
                    kind.updated += 1
                else:
                    kind.unchanged += 1
            except InvalidInput as exc:
                reason = exc.message
                if exc.field == "name" and "another template" in exc.message:
                    reason = "a template of this name exists already"
                kind.skipped[f"{exc.field} {reason}"] += 1
        self.progress(f"incident templates {len(items)}/{len(items)}")

    # --- incidents and maintenance ----------------------------------------------------------

    def _import_history(self, kind: KindReport, items: list[Obj]) -> None:
        maintenance = [i for i in items if _is_maintenance(i)]
        if kind.kind == "maintenance":
            self._import_maintenance(kind, maintenance)
        else:
            ids = {id(i) for i in maintenance}
            self._import_incidents(kind, [i for i in items if id(i) not in ids])

    def _import_incidents(self, kind: KindReport, items: list[Obj]) -> None:
        components = self._components()
        total = len(items)
        for start in range(0, total, CHUNK):
            chunk = items[start : start + CHUNK]
            IncidentWriter(self, kind, components).write(chunk)
            self.progress(f"incidents {min(start + CHUNK, total)}/{total}")
        if not total:
            self.progress("incidents 0/0")
        # Components an active imported incident holds report through it, so that resolving
        # it here returns them to operational as on Statuspage.
        held = IncidentComponent.objects.filter(
            incident__page=self.page,
            incident__resolved_at__isnull=True,
            incident__statuspage_id__isnull=False,
        ).values_list("component_id", flat=True)
        Component.objects.filter(page=self.page, id__in=list(held)).exclude(
            baseline_status=ComponentStatus.OPERATIONAL
        ).update(baseline_status=ComponentStatus.OPERATIONAL)

    def _import_maintenance(self, kind: KindReport, items: list[Obj]) -> None:
        components = self._components()
        spids = [str(i["id"])[:32] for i in items]
        existing = {
            m.statuspage_id: m
            for m in Maintenance.objects.filter(org=self.org, statuspage_id__in=spids)
        }
        old_updates: dict[tuple[int, str], MaintenanceUpdate] = {
            (u.maintenance_id, u.statuspage_id): u
            for u in MaintenanceUpdate.objects.filter(
                maintenance__in=list(existing.values()), statuspage_id__isnull=False
            )
        }
        links = Maintenance.components.through
        old_links: dict[int, set[int]] = {}
        for m_id, c_id in links.objects.filter(maintenance__in=list(existing.values())).values_list(
            "maintenance_id", "component_id"
        ):
            old_links.setdefault(m_id, set()).add(c_id)
        for number, item in enumerate(items, start=1):
            spid = str(item["id"])[:32]
            try:
                plan = _maintenance_plan(item, components)
            except Skip as exc:
                kind.skipped[str(exc)] += 1
                continue
            m = existing.get(spid)
            changed = False
            if m is None:
                m = Maintenance(org=self.org, page=self.page, statuspage_id=spid, **plan["fields"])
                m.save()
                m.created_at = plan["created_at"]
                m.save(update_fields=["created_at"])
                kind.created += 1
            else:
                if m.page_id != self.page.id:
                    kind.skipped["imported into another page of this organization before"] += 1
                    continue
                if _assign(m, plan["fields"]):
                    m.save()
                    changed = True
            wanted_links = {c.id for c in plan["components"]}
            if old_links.get(m.id, set()) != wanted_links:
                links.objects.filter(maintenance=m).delete()
                links.objects.bulk_create(
                    [links(maintenance_id=m.id, component_id=c) for c in wanted_links]
                )
                changed = True
            new_updates = []
            for u in plan["updates"]:
                old = old_updates.get((m.id, u["statuspage_id"]))
                if old is None:
                    new_updates.append(MaintenanceUpdate(maintenance=m, **u))
                    changed = True
                elif _assign(old, u):
                    old.save()
                    changed = True
            MaintenanceUpdate.objects.bulk_create(new_updates)
            if m.statuspage_id in existing:
                kind.updated += changed
                kind.unchanged += not changed
            if number % CHUNK == 0:
                self.progress(f"maintenance {number}/{len(items)}")
        self.progress(f"maintenance {len(items)}/{len(items)}")

    # --- subscribers -------------------------------------------------------------------------

    def _import_subscribers(self, kind: KindReport, items: list[Obj]) -> None:
        components = self._components()
        by_spid = {
            s.statuspage_id: s
            for s in Subscriber.objects.filter(page=self.page, statuspage_id__isnull=False)
        }
        by_address = {
            (s.channel, s.address): s
            for s in Subscriber.objects.filter(page=self.page).only(
                "id", "channel", "address", "statuspage_id", "confirmed_at", "disabled_at"
            )
        }
        links = Subscriber.components.through
        old_links: dict[int, set[int]] = {}
        for s_id, c_id in links.objects.filter(subscriber__page=self.page).values_list(
            "subscriber_id", "component_id"
        ):
            old_links.setdefault(s_id, set()).add(c_id)
        create: list[tuple[Subscriber, set[int], datetime | None]] = []
        seen: set[tuple[str, str]] = set()
        for item in items:
            spid = str(item["id"])[:32]
            try:
                channel, address = _subscriber_address(item)
            except Skip as exc:
                kind.skipped[str(exc)] += 1
                continue
            if (channel, address) in seen:
                kind.skipped["the same address twice"] += 1
                continue
            seen.add((channel, address))
            wanted_links = {
                components[str(c)].id for c in item.get("components") or [] if str(c) in components
            }
            upstream_state = item.get("state") or "active"
            if self.trust_confirmed and upstream_state == "unconfirmed":
                # Trusting means sending nobody anything; they never opted in.
                kind.skipped["never confirmed on Statuspage"] += 1
                continue
            quarantined = _safe_time(item.get("quarantined_at"))
            if upstream_state == "quarantined" and quarantined is None:
                quarantined = self.now
            trusted = upstream_state in ("active", "quarantined") and (
                self.trust_confirmed or not Channel(channel).needs_opt_in
            )
            created_at = _safe_time(item.get("created_at"))
            subscriber = by_spid.get(spid) or by_address.get((channel, address))
            if subscriber is None:
                subscriber = Subscriber(
                    page=self.page,
                    channel=channel,
                    address=address,
                    statuspage_id=spid,
                    confirmed_at=(created_at or self.now) if trusted else None,
                    disabled_at=quarantined,
                    disabled_reason="quarantined on Statuspage" if quarantined else "",
                )
                create.append((subscriber, wanted_links, created_at))
                kind.created += 1
                continue
            changed = False
            if subscriber.statuspage_id != spid:
                subscriber.statuspage_id = spid  # subscribed here already: adopted
                changed = True
            if trusted and subscriber.confirmed_at is None:
                subscriber.confirmed_at = created_at or self.now
                changed = True
            if changed:
                subscriber.save(update_fields=["statuspage_id", "confirmed_at", "updated_at"])
            if old_links.get(subscriber.id, set()) != wanted_links:
                subscriber.components.set(wanted_links)
                changed = True
            kind.updated += changed
            kind.unchanged += not changed
        made = Subscriber.objects.bulk_create([s for s, _, _ in create], batch_size=BATCH)
        links.objects.bulk_create(
            [
                links(subscriber_id=s.id, component_id=c)
                for s, (_, wanted, _) in zip(made, create, strict=True)
                for c in wanted
            ],
            batch_size=BATCH,
        )
        dated = []
        for s, (_, _, created_at) in zip(made, create, strict=True):
            if created_at is not None:
                s.created_at = created_at
                dated.append(s)
        _bulk_created_at(Subscriber, dated, ["created_at"])
        pending = [s for s in made if s.confirmed_at is None and s.disabled_at is None]
        self.confirmations = [s.id for s in pending]
        if pending:
            kind.notes.append(
                f"{len(pending)} subscribers were asked to confirm (they get nothing else "
                "until they do); --trust-confirmed keeps Statuspage's confirmations"
            )
            phones = {Channel(s.channel) for s in pending if Channel(s.channel).is_phone}
            missing = phones - set(offered_channels(self.page))
            for channel in sorted(missing):
                kind.notes.append(
                    f"there is no {channel.label} provider yet: those subscribers get their "
                    "confirmation once one is set up (Notification providers)"
                )
        self.progress(f"subscribers {len(items)}/{len(items)}")


def _assign(obj: Any, wanted: dict[str, Any]) -> bool:
    """Set the differing attributes; True when something changed."""
    changed = False
    for key, value in wanted.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _position(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _safe_time(value: Any) -> datetime | None:
    try:
        return parse_time(value)
    except Skip:
        return None


def _with_times(rows: list[Any], items: list[Obj]) -> list[Any]:
    """New rows with their Statuspage created_at/updated_at put back."""
    by_id = {str(i["id"])[:32]: i for i in items}
    dated = []
    for row in rows:
        item = by_id.get(row.statuspage_id, {})
        created = _safe_time(item.get("created_at"))
        if created is not None:
            row.created_at = created
            row.updated_at = _safe_time(item.get("updated_at")) or created
            dated.append(row)
    return dated


def _template_impact(statuses: list[str]) -> str:
    """Statuspage's templates have no impact: the worst status they set says it, else minor
    (Upstate's default)."""
    found = enums.impact_from_components(statuses)
    return Impact.MINOR.value if found == Impact.NONE else found


def _template_differs(
    template: IncidentTemplate, fields: dict[str, Any], chosen: dict[Component, str | None]
) -> bool:
    if any(getattr(template, k) != v for k, v in fields.items()):
        return True
    current = {a.component_id: a.status for a in template.affected.all()}
    return current != {c.id: s or "" for c, s in chosen.items()}


def _is_maintenance(item: Obj) -> bool:
    return (
        bool(item.get("scheduled_for"))
        or (item.get("status") in enums.SCHEDULED_STATUSES)
        or item.get("impact") == enums.MAINTENANCE_IMPACT
    )


def _updates_of(item: Obj) -> list[Obj]:
    """The incident's updates, oldest first (Statuspage lists the newest first)."""
    updates = [u for u in item.get("incident_updates") or [] if isinstance(u, dict)]
    return sorted(
        updates,
        key=lambda u: (
            _safe_time(u.get("display_at") or u.get("created_at"))
            or datetime.min.replace(tzinfo=UTC)
        ),
    )


def _subscriber_address(item: Obj) -> tuple[str, str]:
    mode = item.get("mode") or ("email" if item.get("email") else None)
    if mode == "email":
        channel, value = Channel.EMAIL, item.get("email")
    elif mode == "sms":
        channel = Channel.SMS
        value = item.get("phone_number") or ""
        if isinstance(value, str) and not value.strip().startswith("+"):
            shown = item.get("display_phone_number") or ""
            if isinstance(shown, str) and shown.strip().startswith("+"):
                value = shown
            else:
                raise Skip("phone number without its country code")
    elif mode == "webhook":
        channel, value = Channel.WEBHOOK, item.get("endpoint")
    elif mode in ("slack", "teams"):
        app = {"slack": "Slack", "teams": "Microsoft Teams"}[mode]
        raise Skip(f"{app} subscriptions belong to Statuspage's {app} app")
    else:
        raise Skip(f"{mode or 'unknown'} subscriptions cannot be brought")
    try:
        return channel.value, clean_address(channel, value)
    except InvalidInput as exc:
        what = {"email": "email", "sms": "phone number", "webhook": "webhook URL"}[mode]
        raise Skip(f"invalid {what}") from exc


def _maintenance_plan(item: Obj, components: dict[str, Component]) -> dict[str, Any]:
    title = _name(item.get("name"), 255)
    starts_at = parse_time(item.get("scheduled_for")) or parse_time(item.get("started_at"))
    starts_at = starts_at or parse_time(item.get("created_at"))
    if starts_at is None:
        raise Skip("no scheduled time")
    ends_at = parse_time(item.get("scheduled_until")) or starts_at + timedelta(hours=1)
    ends_at = max(ends_at, starts_at)
    status = item.get("status")
    if status not in MaintenanceStatus.values:
        status = (
            MaintenanceStatus.COMPLETED
            if status in ("resolved", "postmortem")
            else MaintenanceStatus.IN_PROGRESS
        )
    raw_updates = _updates_of(item)
    updates = []
    began = ended = None
    for u in raw_updates:
        if u.get("id") is None:
            continue
        u_status = u.get("status")
        if u_status not in MaintenanceStatus.values:
            u_status = (
                MaintenanceStatus.COMPLETED
                if u_status in ("resolved", "postmortem")
                else MaintenanceStatus.IN_PROGRESS
            )
        at = parse_time(u.get("display_at") or u.get("created_at")) or starts_at
        if u_status == MaintenanceStatus.IN_PROGRESS and began is None:
            began = at
        if u_status == MaintenanceStatus.COMPLETED:
            ended = at
        updates.append(
            {
                "statuspage_id": str(u["id"])[:32],
                "status": u_status,
                "message": _text(u.get("body"), MAX_MESSAGE),
                "created_at": at,
            }
        )
    done = status == MaintenanceStatus.COMPLETED
    underway = status in UNDERWAY_STATUSES or done
    chosen = []
    for c in item.get("components") or []:
        ref = c.get("id") if isinstance(c, dict) else c
        if ref is not None and str(ref) in components:
            chosen.append(components[str(ref)])
    return {
        "fields": {
            "title": title,
            "message": updates[0]["message"] if updates else "",
            "status": status,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "auto_start": _bool(item.get("scheduled_auto_in_progress"), False),
            "auto_complete": _bool(item.get("scheduled_auto_completed"), False),
            "started_at": (began or starts_at) if underway else None,
            "completed_at": (parse_time(item.get("resolved_at")) or ended or ends_at)
            if done
            else None,
        },
        "created_at": parse_time(item.get("created_at")) or starts_at,
        "components": chosen,
        "updates": updates,
    }


class IncidentWriter:
    """One chunk of incidents, in a constant number of bulk statements."""

    def __init__(
        self, importer: Importer, kind: KindReport, components: dict[str, Component]
    ) -> None:
        self.importer = importer
        self.kind = kind
        self.components = components
        self.page = importer.page
        self.org = importer.org

    def write(self, items: list[Obj]) -> None:
        plans: list[tuple[str, dict[str, Any]]] = []
        for item in items:
            try:
                plans.append((str(item["id"])[:32], self._plan(item)))
            except Skip as exc:
                self.kind.skipped[str(exc)] += 1
        spids = [spid for spid, _ in plans]
        existing = {
            i.statuspage_id: i
            for i in Incident.objects.filter(org=self.org, statuspage_id__in=spids)
        }
        new_incidents: list[Incident] = []
        changed_incidents: list[Incident] = []
        touched: dict[str, bool] = {}  # statuspage id -> changed (for the existing ones)
        rows: dict[str, Incident] = {}
        for spid, plan in plans:
            incident = existing.get(spid)
            if incident is None:
                incident = Incident(
                    org=self.org,
                    page=self.page,
                    statuspage_id=spid,
                    source=Source.API,
                    **plan["fields"],
                )
                new_incidents.append(incident)
            elif incident.page_id != self.page.id:
                self.kind.skipped["imported into another page of this organization before"] += 1
                continue
            else:
                times = {"created_at": plan["created_at"]}
                if _assign(incident, {**plan["fields"], **times}):
                    changed_incidents.append(incident)
                    touched[spid] = True
                else:
                    touched[spid] = False
            rows[spid] = incident
        for incident in new_incidents:
            incident.response_state = incident.derive_response_state()
        Incident.objects.bulk_create(new_incidents, batch_size=BATCH)
        planned = dict(plans)
        for incident in new_incidents:
            plan = planned[incident.statuspage_id]
            incident.created_at = plan["created_at"]
            incident.updated_at = plan["updated_at"]
        _bulk_created_at(Incident, new_incidents, ["created_at", "updated_at"])
        if changed_incidents:
            for incident in changed_incidents:
                incident.response_state = incident.derive_response_state()
                incident.updated_at = self.importer.now  # bulk_update leaves auto_now alone
            fields = [*IMPORTED_FIELDS, "created_at", "response_state", "updated_at"]
            Incident.objects.bulk_update(changed_incidents, fields, batch_size=BATCH)
        by_plan = {spid: plan for spid, plan in plans if spid in rows}
        for spid, changed in self._write_children(rows, by_plan).items():
            touched[spid] = touched.get(spid, False) or changed
        self.kind.created += len(new_incidents)
        for spid, changed in touched.items():
            if spid in existing:
                self.kind.updated += changed
                self.kind.unchanged += not changed

    def _plan(self, item: Obj) -> dict[str, Any]:
        title = _name(item.get("name"), 255)
        status = item.get("status")
        if status not in IncidentStatus.values:
            raise Skip(f"unknown status {str(status)[:20]!r}")
        updates_raw = _updates_of(item)
        created_at = parse_time(item.get("created_at"))
        started_at = parse_time(item.get("started_at")) or created_at
        first_update = (
            parse_time(updates_raw[0].get("display_at") or updates_raw[0].get("created_at"))
            if updates_raw
            else None
        )
        started_at = started_at or first_update
        if started_at is None:
            raise Skip("no start time")
        created_at = created_at or started_at
        impact = item.get("impact")
        impact = impact if impact in Impact.values else Impact.NONE
        active = IncidentStatus(status).is_active
        resolved_at = None
        updates = []
        for u in updates_raw:
            if u.get("id") is None:
                continue
            u_status = u.get("status") if u.get("status") in IncidentStatus.values else status
            at = parse_time(u.get("display_at") or u.get("created_at")) or started_at
            changes = []
            for ch in u.get("affected_components") or []:
                if not isinstance(ch, dict):
                    continue
                old, new = (
                    _component_status(ch.get("old_status")),
                    _component_status(ch.get("new_status")),
                )
                if old is None or new is None:
                    continue
                local = self.components.get(str(ch.get("code")))
                changes.append(
                    (
                        local.id if local else None,
                        local.code if local else str(ch.get("code") or "")[:12],
                        local.display_name if local else _text(ch.get("name"), 255),
                        old,
                        new,
                    )
                )
            updates.append(
                {
                    "statuspage_id": str(u["id"])[:32],
                    "status": u_status,
                    "message": _text(u.get("body"), MAX_MESSAGE),
                    "created_at": at,
                    "changes": changes,
                }
            )
            if u_status in (IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM) and (
                resolved_at is None
            ):
                resolved_at = at
        if not active:
            resolved_at = parse_time(item.get("resolved_at")) or resolved_at
            resolved_at = max(resolved_at or started_at, started_at)
        affected = self._affected(item, updates, active)
        postmortem = None
        body = item.get("postmortem_body")
        published = _safe_time(item.get("postmortem_published_at"))
        if isinstance(body, str) and body.strip():
            postmortem = {
                "summary": _text(body, 200_000),
                "status": PostmortemStatus.PUBLISHED if published else PostmortemStatus.DRAFT,
                "published_at": published,
            }
        monitoring_at = parse_time(item.get("monitoring_at"))
        return {
            "fields": {
                "title": title,
                "status": status,
                "impact": impact,
                "backfilled": _bool(item.get("backfilled"), False),
                "started_at": started_at,
                "resolved_at": resolved_at,
                "monitoring_at": monitoring_at,
            },
            "created_at": created_at,
            "updated_at": parse_time(item.get("updated_at")) or created_at,
            "updates": updates,
            "affected": affected,
            "postmortem": postmortem,
        }

    def _affected(self, item: Obj, updates: list[Obj], active: bool) -> dict[int, str]:
        """Component id -> status override: while active, the status it has now (the latest
        update's change, else the component's listed status); once resolved, the worst
        status an update gave it, else '' (follows the impact) for the uptime history."""
        listed: dict[int, str | None] = {}
        for c in item.get("components") or []:
            ref = c.get("id") if isinstance(c, dict) else c
            local = self.components.get(str(ref)) if ref is not None else None
            if local is not None:
                listed[local.id] = (
                    _component_status(c.get("status")) if isinstance(c, dict) else None
                )
        for u in updates:
            for component_id, *_ in u["changes"]:
                if component_id is not None:
                    listed.setdefault(component_id, None)
        result: dict[int, str] = {}
        for component_id, listed_status in listed.items():
            seen = [ch[4] for u in updates for ch in u["changes"] if ch[0] == component_id]
            if active:
                result[component_id] = (seen[-1] if seen else listed_status) or ""
            else:
                bad = [s for s in seen if s != ComponentStatus.OPERATIONAL]
                result[component_id] = ComponentStatus.worst(bad).value if bad else ""
        return result

    def _write_children(
        self, rows: dict[str, Incident], plans: dict[str, dict[str, Any]]
    ) -> dict[str, bool]:
        """Updates (with their component changes), affected components and postmortems;
        answers which existing incidents changed."""
        changed: dict[str, bool] = {spid: False for spid in rows}
        ids = [i.id for i in rows.values()]
        old_updates = {
            (u.incident_id, u.statuspage_id): u
            for u in IncidentUpdate.objects.filter(incident_id__in=ids, statuspage_id__isnull=False)
        }
        old_changes: dict[int, list[tuple]] = {}
        for ch in UpdateComponentChange.objects.filter(
            update_id__in=[u.id for u in old_updates.values()]
        ):
            old_changes.setdefault(ch.update_id, []).append(
                (ch.component_id, ch.component_code, ch.name, ch.old_status, ch.new_status)
            )
        new_updates: list[tuple[IncidentUpdate, list[tuple]]] = []
        edited: list[IncidentUpdate] = []
        replace_changes: list[tuple[IncidentUpdate, list[tuple]]] = []
        for spid, incident in rows.items():
            for u in plans[spid]["updates"]:
                fields = {k: u[k] for k in ("status", "message", "created_at")}
                old = old_updates.get((incident.id, u["statuspage_id"]))
                if old is None:
                    update = IncidentUpdate(
                        incident=incident, statuspage_id=u["statuspage_id"], notify=False, **fields
                    )
                    new_updates.append((update, u["changes"]))
                    changed[spid] = True
                    continue
                if _assign(old, fields):
                    edited.append(old)
                    changed[spid] = True
                if sorted(old_changes.get(old.id, []), key=repr) != sorted(u["changes"], key=repr):
                    replace_changes.append((old, u["changes"]))
                    changed[spid] = True
        IncidentUpdate.objects.bulk_create([u for u, _ in new_updates], batch_size=BATCH)
        if edited:
            IncidentUpdate.objects.bulk_update(
                edited, ["status", "message", "created_at"], batch_size=BATCH
            )
        if replace_changes:
            UpdateComponentChange.objects.filter(
                update_id__in=[u.id for u, _ in replace_changes]
            ).delete()
        UpdateComponentChange.objects.bulk_create(
            [
                UpdateComponentChange(
                    update=update,
                    component_id=c[0],
                    component_code=c[1],
                    name=c[2],
                    old_status=c[3],
                    new_status=c[4],
                )
                for update, changes in [*new_updates, *replace_changes]
                for c in changes
            ],
            batch_size=BATCH,
        )
        # Affected components.
        old_affected: dict[int, dict[int, IncidentComponent]] = {}
        for row in IncidentComponent.objects.filter(incident_id__in=ids):
            old_affected.setdefault(row.incident_id, {})[row.component_id] = row
        add: list[IncidentComponent] = []
        alter: list[IncidentComponent] = []
        for spid, incident in rows.items():
            have = old_affected.get(incident.id, {})
            for component_id, override in plans[spid]["affected"].items():
                row = have.get(component_id)
                if row is None:
                    add.append(
                        IncidentComponent(
                            incident=incident, component_id=component_id, status_override=override
                        )
                    )
                    changed[spid] = True
                elif row.status_override != override:
                    row.status_override = override
                    alter.append(row)
                    changed[spid] = True
        IncidentComponent.objects.bulk_create(add, batch_size=BATCH)
        IncidentComponent.objects.bulk_update(alter, ["status_override"], batch_size=BATCH)
        # Postmortems (one written here, with no Statuspage body, is left alone).
        old_pms = {p.incident_id: p for p in Postmortem.objects.filter(incident_id__in=ids)}
        add_pms: list[Postmortem] = []
        for spid, incident in rows.items():
            wanted = plans[spid]["postmortem"]
            if wanted is None:
                continue
            pm = old_pms.get(incident.id)
            if pm is None:
                add_pms.append(Postmortem(incident=incident, **wanted))
                changed[spid] = True
            elif _assign(pm, wanted):
                pm.save()
                changed[spid] = True
        Postmortem.objects.bulk_create(add_pms, batch_size=BATCH)
        return changed


IMPORTED_FIELDS = [
    "title",
    "status",
    "impact",
    "backfilled",
    "started_at",
    "resolved_at",
    "monitoring_at",
]


def target_page(
    *, org: Organization, slug: str | None, upstream: Obj | None
) -> tuple[StatusPage, bool]:
    """The organization's page `slug` (or the Statuspage page's subdomain), created from the
    Statuspage page's name, description, URL and time zone when it does not exist yet. A
    slug held by another organization's page is refused: nothing of theirs is touched."""
    from django.utils.text import slugify

    from upstate.pages.services import _time_zones, create_page

    upstream = upstream or {}
    slug = (slug or "").strip() or slugify(str(upstream.get("subdomain") or ""))[:60]
    slug = slug or slugify(str(upstream.get("name") or ""))[:60]
    if not slug:
        raise InvalidInput("page", "give --page SLUG (the source names no page)")
    page = StatusPage.objects.select_related("org").filter(slug=slug).first()
    if page is not None:
        if page.org_id != org.id:
            raise InvalidInput("page", f"{slug!r} is a page of another organization")
        return page, False
    if not upstream:
        raise InvalidInput(
            "page", f"{org.slug} has no page {slug!r}, and the source has no page.json to make it"
        )
    zone = upstream.get("time_zone")
    url = upstream.get("support_url") or upstream.get("url") or ""
    fields: dict[str, Any] = {
        "description": _text(upstream.get("page_description"), MAX_MESSAGE),
        "time_zone": zone if zone in _time_zones() else "Etc/UTC",
    }
    if isinstance(url, str) and url.startswith(("http://", "https://")) and len(url) <= 200:
        fields["support_url"] = url
    name = _text(upstream.get("name"), 120) or slug
    return create_page(org=org, name=name, slug=slug, **fields), True


def import_statuspage(
    *,
    org: Organization,
    page: StatusPage,
    source: Any,
    page_created: bool = False,
    trust_confirmed: bool = False,
    progress: Progress = lambda line: None,
) -> ImportReport:
    """Copy everything `source` holds into `page` of `org` (see the module docstring)."""
    report = ImportReport(page=page, page_created=page_created)
    importer = Importer(
        org=org, page=page, source=source, trust_confirmed=trust_confirmed, progress=progress
    )
    return importer.run(report)
