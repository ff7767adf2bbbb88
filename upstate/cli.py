"""The `upstate` command: run the server and worker, set up organizations, users and API
keys, load the demo, post incidents from a terminal, check an installation (`doctor`), and
back up and restore one on SQLite.

Exit codes (upstate.terminal.Exit): 0 ok, 1 failure, 2 usage/configuration/input mistake,
3 a needed service (the database) unavailable, 130 interrupted."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from collections.abc import Callable
from typing import Any

from upstate.lib import text as accepted_text
from upstate.lib.env import ConfigError
from upstate.lib.errors import InvalidInput
from upstate.server import WebOptions
from upstate.terminal import CommandError, Exit, print_json, table

EXIT_BAD_INPUT = Exit.USAGE
Handler = Callable[[argparse.Namespace], int]


def _setup_django() -> None:
    import django
    from django.apps import apps

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstate.settings")
    if apps.ready:  # already set up when called from tests or a Django shell
        return
    try:
        django.setup()
    except (ValueError, OSError) as exc:
        # Settings read the environment strictly (ConfigError is a ValueError, as are the
        # email URL's errors); an unwritable data directory is an OSError.
        raise CommandError("configuration", str(exc).strip()) from exc


# --- running ---------------------------------------------------------------------------


def _web_options(args: argparse.Namespace) -> WebOptions:
    if not 0 < args.port < 65536:
        raise InvalidInput("port", "must be between 1 and 65535")
    if args.workers < 1:
        raise InvalidInput("workers", "must be at least 1")
    if args.threads is not None and args.threads < 1:
        raise InvalidInput("threads", "must be at least 1")
    threads = {} if args.threads is None else {"threads": args.threads}
    return WebOptions(host=args.host, port=args.port, workers=args.workers, **threads)


def cmd_serve(args: argparse.Namespace) -> int:
    from upstate.server import serve

    return serve(_web_options(args))


def cmd_web(args: argparse.Namespace) -> int:
    from upstate.server import run_web

    return run_web(_web_options(args))


def cmd_worker(args: argparse.Namespace) -> int:
    from upstate.server import run_worker

    return run_worker()


def cmd_migrate(args: argparse.Namespace) -> int:
    from upstate.server import migrate

    applied = migrate(verbosity=1 if args.verbose else 0)
    print(f"Applied {applied} migrations." if applied else "The database is up to date.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from upstate.demo import load_demo, reset_demo
    from upstate.server import migrate

    migrate(verbosity=0)
    if args.reset:
        reset_demo()
    result = load_demo()
    print(result.describe())
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from upstate.doctor import run_checks

    report = run_checks()
    if args.json:
        print_json(report.as_json())
    else:
        print(report.describe())
    return Exit.OK if report.ok else Exit.FAILURE


def _progress(line: str) -> None:
    print(f"upstate: {line}", file=sys.stderr, flush=True)


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from upstate.backup import backup

    result = backup(Path(args.file).resolve(), force=args.force, progress=_progress)
    print(result.describe())
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Runs before Django is set up: the settings would write a new secret key, the task
    queue and `static/` into the data directory that must be empty."""
    from pathlib import Path

    from upstate.backup import restore

    result = restore(Path(args.file).resolve(), progress=_progress)
    for warning in result.warnings:
        print(f"upstate: warning: {warning}", file=sys.stderr)
    print(result.describe())
    return 0


# --- organizations, users, keys ---------------------------------------------------------


def _org(slug: str) -> Any:
    from upstate.orgs.models import Organization

    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise InvalidInput("org", f"no organization with slug {slug!r}")
    return org


def cmd_org_create(args: argparse.Namespace) -> int:
    from upstate.orgs.services import create_org

    org = create_org(slug=args.slug, name=args.name)
    print(f"Created organization {org.slug} ({org.name}).")
    return 0


def cmd_org_list(args: argparse.Namespace) -> int:
    from django.db.models import Count

    from upstate.orgs.models import Organization

    orgs = Organization.objects.annotate(members=Count("memberships")).order_by("slug")
    found = [{"slug": o.slug, "name": o.name, "members": o.members} for o in orgs]
    if args.json:
        print_json(found)
    elif not found:
        print("No organizations. Create one with: upstate org create SLUG --name NAME")
    else:
        rows = [("SLUG", "MEMBERS", "NAME")]
        rows += [(o["slug"], str(o["members"]), o["name"]) for o in found]
        print(table(rows))
    return 0


def _checked_password(password: str) -> str:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password)
    except ValidationError as exc:
        raise InvalidInput("password", " ".join(exc.messages)) from exc
    return password


def _ask_password() -> str:
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != first:
        raise InvalidInput("password", "the two entries differ")
    return first


def cmd_user_create(args: argparse.Namespace) -> int:
    from upstate.orgs.services import add_member

    org = _org(args.org)
    generated = False
    password = args.password
    if password is None and sys.stdin.isatty():
        password = _ask_password()
    elif password is None:
        password, generated = secrets.token_urlsafe(12), True
    membership = add_member(
        org=org, email=args.email, role=args.role, password=_checked_password(password)
    )
    print(f"{membership.user.email} is now {membership.role} of {org.slug}.")
    if generated:
        print(f"Password: {password}")
    return 0


def cmd_apikey_create(args: argparse.Namespace) -> int:
    from upstate.orgs.services import create_api_key

    key, plain = create_api_key(org=_org(args.org), role=args.role, name=args.name)
    # The key alone on stdout so scripts can capture it; it is shown this one time.
    print(plain)
    print(f"API key {key.code} ({key.role}) created; it is not shown again.", file=sys.stderr)
    return 0


# --- incidents -----------------------------------------------------------------------------
# The same checks as the API: the arguments are read into the API's schemas (IncidentIn,
# IncidentPatch, IncidentUpdateIn), then handed to the services the API calls.


def _page(ref: str) -> Any:
    from django.db.models import Q

    from upstate.pages.models import StatusPage

    page = StatusPage.objects.select_related("org").filter(Q(slug=ref) | Q(code=ref)).first()
    if page is None:
        raise InvalidInput("page", f"no status page with slug {ref!r}")
    return page


def _component(page: Any, ref: str) -> Any:
    """A component of the page by its code or its (case-insensitive) name."""
    by_code = page.components.filter(code=ref).first()
    if by_code is not None:
        return by_code
    named = list(page.components.filter(name__iexact=ref))
    if len(named) > 1:
        raise InvalidInput("component", f"{ref!r} names several components; use its code")
    if not named:
        raise InvalidInput("component", f"no component {ref!r} on page {page.slug}")
    return named[0]


def _components(page: Any, refs: list[str]) -> dict[str, str | None]:
    """`NAME_OR_CODE` follows the incident's impact; `NAME_OR_CODE=STATUS` sets its own
    status. Answers the API's `components` field: component code -> status or None."""
    chosen: dict[str, str | None] = {}
    for ref in refs:
        name, sep, status = ref.rpartition("=")
        if not sep:
            name, status = ref, ""
        try:
            component = _component(page, name)
        except InvalidInput as not_found:
            if not sep:
                raise
            try:  # a name holding "="
                component, status = _component(page, ref), ""
            except InvalidInput:
                raise not_found from None
        chosen[component.code] = status or None
    return chosen


def _schema(schema: type, fields: dict[str, Any]) -> Any:
    """`fields` read as the API reads a request body; its errors name the field."""
    from pydantic import ValidationError

    from upstate.api.errors import validation_errors

    try:
        return schema.model_validate(fields)
    except ValidationError as exc:
        field, message = validation_errors(list(exc.errors()), set())[0]
        raise InvalidInput(field, message) from exc


def _changes(page: Any, statuses: dict[str, str | None]) -> dict[Any, str | None]:
    by_code = {c.code: c for c in page.components.filter(code__in=list(statuses))}
    return {by_code[code]: status for code, status in statuses.items()}


def _member(org: Any, email: str) -> Any:
    """A user of the organization who may respond (the incident's owner)."""
    from upstate.orgs.models import Membership, Role

    membership = (
        Membership.objects.select_related("user").filter(org=org, user__email__iexact=email).first()
    )
    if membership is None:
        raise InvalidInput("owner", f"{email!r} is not a member of {org.slug}")
    if not Role(membership.role).can_respond:
        raise InvalidInput("owner", f"{email} is a {membership.role} and cannot respond")
    return membership.user


def _show(args: argparse.Namespace, incident: Any, line: str) -> None:
    """The incident as the API answers it with --json; else `line` (its code on stdout for
    `create`, so that scripts can capture it)."""
    if args.json:
        print_json(_incident_json(_incidents().get(id=incident.id)))
    else:
        print(line)


# What `incident create` hands the service of IncidentIn (the same as the API does).
CREATE_FIELDS = {
    "title",
    "status",
    "impact",
    "severity",
    "category",
    "message",
    "visibility",
    "notify",
    "started_at",
    "resolved_at",
    "acknowledge",
}


def cmd_incident_create(args: argparse.Namespace) -> int:
    from django.db import transaction

    from upstate.incidents import services
    from upstate.incidents.schemas import IncidentIn

    page = _page(args.page)
    given = {
        "page_id": page.code,
        "title": args.title,
        "status": args.status,
        "impact": args.impact,
        "severity": args.severity or None,
        "category": args.category or None,
        "components": _components(page, args.component),
        "message": args.message,
        "visibility": args.visibility,
        "notify": args.notify,
        "started_at": args.started_at,
        "resolved_at": args.resolved_at,
        "acknowledge": args.acknowledge,
    }
    payload = _schema(IncidentIn, {k: v for k, v in given.items() if v is not None})
    fields = payload.model_dump(include=CREATE_FIELDS)
    owner = _member(page.org, args.owner) if args.owner else None
    with transaction.atomic():
        incident = services.create_incident(
            page=page,
            components=_changes(page, payload.components),
            **{
                **fields,
                "severity": fields["severity"] or "",
                "category": fields["category"] or "",
            },
        )
        if owner is not None:
            services.take_ownership(incident=incident, user=owner)
    _show(args, incident, incident.code)
    print(f"Declared incident {incident.code} on {page.slug}: {incident.title}", file=sys.stderr)
    return 0


def _incident(code: str) -> Any:
    from upstate.incidents.models import Incident

    incident = Incident.objects.select_related("page", "org").filter(code=code).first()
    if incident is None:
        raise InvalidInput("code", f"no incident with code {code!r}")
    return incident


UPDATE_ONLY = ("message", "component", "notify")


def cmd_incident_update(args: argparse.Namespace) -> int:
    from django.db import transaction

    from upstate.incidents import services
    from upstate.incidents.schemas import IncidentPatch, IncidentUpdateIn

    incident = _incident(args.code)
    details = {
        name: getattr(args, name)
        for name in ("title", "impact", "severity", "category", "visibility", "started_at")
        if getattr(args, name) is not None
    }
    for name in ("severity", "category"):  # '' clears them, as null does in the API
        if details.get(name) == "":
            details[name] = None
    patch = _schema(IncidentPatch, details)
    changes = patch.model_dump(exclude_unset=True)
    changes.update(
        {name: changes[name] or "" for name in ("severity", "category") if name in changes}
    )
    timeline = None
    if args.status is not None:
        timeline = _schema(
            IncidentUpdateIn,
            {
                "status": args.status,
                "message": args.message or "",
                "components": _components(incident.page, args.component),
                "notify": args.notify,
            },
        )
    elif args.message is not None or args.component or not args.notify:
        raise InvalidInput("status", "--message, --component and --no-notify go with --status")
    owner = _member(incident.org, args.owner) if args.owner else None
    if not (changes or timeline or owner or args.acknowledge):
        raise InvalidInput("update", "nothing to change: give --status or a field to change")
    with transaction.atomic():
        if changes:
            services.change_incident(incident=incident, **changes)
        if timeline is not None:
            services.post_update(
                incident=incident,
                status=timeline.status,
                message=timeline.message,
                components=_changes(incident.page, timeline.components),
                notify=timeline.notify,
            )
        if args.acknowledge:
            services.acknowledge_incident(incident=incident)
        if owner is not None:
            services.take_ownership(incident=incident, user=owner)
    incident.refresh_from_db()
    done = f"Posted {timeline.status} to" if timeline else "Changed"
    _show(args, incident, f"{done} {incident.code}: {incident.title}")
    return 0


def _incidents() -> Any:
    from upstate.incidents.schemas import shown_incidents

    return shown_incidents()


def _incident_json(incident: Any) -> dict[str, Any]:
    from upstate.incidents.schemas import IncidentOut

    return IncidentOut.from_orm(incident).model_dump(mode="json")


def cmd_incident_list(args: argparse.Namespace) -> int:
    from upstate.incidents.models import ACTIVE_STATUSES

    incidents = _incidents().order_by("-started_at", "-id")
    if args.page:
        incidents = incidents.filter(page=_page(args.page))
    if args.active:
        incidents = incidents.filter(status__in=ACTIVE_STATUSES)
    if args.resolved:
        incidents = incidents.exclude(status__in=ACTIVE_STATUSES)
    if args.limit < 1:
        raise InvalidInput("limit", "must be at least 1")
    if args.json:
        print_json([_incident_json(incident) for incident in incidents[: args.limit]])
        return 0
    rows = [("CODE", "PAGE", "STATUS", "IMPACT", "STARTED (UTC)", "TITLE")]
    for incident in incidents.select_related(None).select_related("page")[: args.limit]:
        started = incident.started_at.strftime("%Y-%m-%d %H:%M")
        row = (incident.code, incident.page.slug, incident.status, incident.impact, started)
        rows.append((*row, incident.title))
    print(table(rows) if len(rows) > 1 else "No incidents.")
    return 0


# --- the parser ------------------------------------------------------------------------------


def _add_web_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="web server processes (default 1; one per core takes more writes a second)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="request threads per web process (default: 2 x CPU cores + 1)",
    )
    _add_verbose(parser)


def _add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also log the web server's and the task queue's own messages (as "
        "UPSTATE_LOG_LEVEL=INFO does)",
    )


def _add_json(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} as one JSON document")


def _command(
    subparsers: Any, name: str, handler: Handler, help_text: str
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=handler)
    return parser


def _group(subparsers: Any, name: str, help_text: str) -> Any:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=lambda args: _usage(parser))
    return parser.add_subparsers(title="commands", metavar="COMMAND")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_BAD_INPUT


def _add_run_commands(sub: Any) -> None:
    parser = _command(
        sub, "serve", cmd_serve, "migrate, rebuild public pages, run web server and worker"
    )
    _add_web_arguments(parser)
    parser = _command(sub, "web", cmd_web, "run the web server alone (no background worker)")
    _add_web_arguments(parser)
    parser = _command(
        sub, "worker", cmd_worker, "run the background worker alone (tasks, schedules)"
    )
    _add_verbose(parser)
    parser = _command(sub, "migrate", cmd_migrate, "create or upgrade the database tables")
    parser.add_argument("-v", "--verbose", action="store_true", help="list each migration")
    parser = _command(sub, "demo", cmd_demo, "load the Acme demo (once) and print how to sign in")
    parser.add_argument(
        "--reset",
        action="store_true",
        help="delete the demo organization, its admin and their data, then load it afresh",
    )
    parser = _command(
        sub, "doctor", cmd_doctor, "check the configuration and the running installation"
    )
    _add_json(parser, "the checks")
    parser = _command(
        sub,
        "backup",
        cmd_backup,
        "write one archive (.tar.gz) of the SQLite database and the data directory's secret "
        "key, while Upstate runs",
    )
    parser.add_argument("file", help="the archive to write, e.g. upstate-backup.tar.gz")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser = _command(
        sub,
        "restore",
        cmd_restore,
        "bring an archive of `upstate backup` back into an empty data directory",
    )
    parser.add_argument("file", help="the archive `upstate backup` wrote")


def _add_account_commands(sub: Any) -> None:
    org = _group(sub, "org", "manage organizations")
    parser = _command(org, "create", cmd_org_create, "create an organization")
    parser.add_argument("slug", help="short name: lowercase letters, digits, hyphens")
    parser.add_argument("--name", required=True, help="display name")
    parser = _command(org, "list", cmd_org_list, "list organizations")
    _add_json(parser, "the organizations")

    user = _group(sub, "user", "manage users")
    parser = _command(user, "create", cmd_user_create, "create a user (or change a member's role)")
    parser.add_argument("email", help="the user's email address (their sign-in)")
    parser.add_argument("--org", required=True, metavar="SLUG", help="organization slug")
    parser.add_argument("--role", required=True, help="owner, admin, responder or viewer")
    parser.add_argument(
        "--password", help="asked for on a terminal when left out, else generated and printed"
    )

    apikey = _group(sub, "apikey", "manage API keys")
    parser = _command(apikey, "create", cmd_apikey_create, "create an API key; prints the key")
    parser.add_argument("--org", required=True, metavar="SLUG", help="organization slug")
    parser.add_argument(
        "--role", default="responder", help="admin, responder or viewer (default responder)"
    )
    parser.add_argument("--name", default="", help="what the key is for")


# The values each option takes, for --help (read before Django starts, so not from the models;
# tests/test_cli_options.py checks them against the models).
VALUES = {
    "status": "investigating, identified, monitoring or resolved",
    "impact": "none, minor, major, critical",
    "severity": "critical, high, medium, low",
    "category": "outage, security, performance, bug, infrastructure, data",
    "visibility": "public, internal",
    "component_status": "operational, under_maintenance, degraded_performance, partial_outage, "
    "major_outage",
}


def _add_component_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--component",
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME_OR_CODE",
        help="affected component by name or code; NAME=STATUS gives it a status of its own "
        f"({VALUES['component_status']}); repeatable, e.g. --component API=major_outage",
    )


def _add_detail_arguments(parser: argparse.ArgumentParser, *, create: bool) -> None:
    parser.add_argument(
        "--impact",
        default="minor" if create else None,
        help=f"{VALUES['impact']}" + (" (default minor)" if create else ""),
    )
    parser.add_argument("--severity", help=f"internal priority: {VALUES['severity']}; '' clears it")
    parser.add_argument("--category", help=f"{VALUES['category']}; '' clears it")
    parser.add_argument(
        "--visibility",
        default="public" if create else None,
        help=f"{VALUES['visibility']}" + (" (default public)" if create else ""),
    )
    parser.add_argument(
        "--started-at",
        metavar="TIME",
        help="when it began, ISO 8601 (e.g. 2025-01-31T14:05:00Z; UTC without an offset)"
        + ("; default now" if create else ""),
    )
    parser.add_argument(
        "--owner", metavar="EMAIL", help="the responder who takes the incident (a member)"
    )


def _add_notify_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-notify",
        dest="notify",
        action="store_false",
        help="post without notifying subscribers (responders are still paged)",
    )


def _add_incident_commands(sub: Any) -> None:
    statuses = VALUES["status"]
    incident = _group(sub, "incident", "declare, update and list incidents")
    parser = _command(incident, "create", cmd_incident_create, "declare an incident")
    parser.add_argument("--page", required=True, metavar="SLUG", help="status page slug or id")
    parser.add_argument(
        "--title", required=True, help="what is wrong, as people reading the page see it"
    )
    parser.add_argument(
        "--status", default="investigating", help=f"{statuses} (default investigating)"
    )
    _add_detail_arguments(parser, create=True)
    _add_component_argument(parser)
    parser.add_argument("--message", default="", help="first update, in Markdown")
    parser.add_argument(
        "--resolved-at",
        metavar="TIME",
        help="backfill a past incident: created already resolved at this time (ISO 8601)",
    )
    parser.add_argument(
        "--acknowledge",
        action="store_true",
        help="acknowledge it in the same step (it starts triggered otherwise)",
    )
    _add_notify_argument(parser)
    _add_json(parser, "the incident (as the API shows it) instead of its code")

    parser = _command(
        incident,
        "update",
        cmd_incident_update,
        "post an update to an incident (--status) and/or change its details",
    )
    parser.add_argument("code", help="the incident's code (see `upstate incident list`)")
    parser.add_argument("--status", help=f"posts a timeline update: {statuses}")
    parser.add_argument("--message", help="the update, in Markdown (with --status)")
    _add_component_argument(parser)
    _add_notify_argument(parser)
    parser.add_argument("--title", help="a new title")
    _add_detail_arguments(parser, create=False)
    parser.add_argument(
        "--acknowledge", action="store_true", help="record that a responder has taken it"
    )
    _add_json(parser, "the incident as the API shows it")

    parser = _command(incident, "list", cmd_incident_list, "list incidents, newest first")
    parser.add_argument("--page", metavar="SLUG", help="only this status page")
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--active", action="store_true", help="only unresolved incidents")
    state.add_argument("--resolved", action="store_true", help="only resolved incidents")
    parser.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    _add_json(parser, "the incidents (as the API shows them)")


def cmd_monitors_apply(args: argparse.Namespace) -> int:
    from pathlib import Path

    from upstate.monitors.config import apply, load

    document = load(Path(args.file))
    slug = args.org or document.get("org")
    if not slug:
        raise InvalidInput("org", "give --org SLUG or an `org:` line in the file")
    org = _org(str(slug))
    total = len(document["monitors"])
    if args.dry_run:
        print(f"Dry run: {total} monitors against {org.slug}; nothing is written.")
        report = apply(org, document, prune=args.prune, dry_run=True, progress=print)
        print(
            f"{len(report.created)} to create, {len(report.changed)} to change, "
            f"{len(report.unchanged)} unchanged, {len(report.deleted)} to remove"
        )
        return 0
    print(f"Applying {total} monitors to {org.slug}...", file=sys.stderr)
    report = apply(
        org, document, prune=args.prune, progress=lambda line: print(line, file=sys.stderr)
    )
    print(
        f"{len(report.created)} created, {len(report.changed)} changed, "
        f"{len(report.unchanged)} unchanged, {len(report.deleted)} deleted"
    )
    return 0


def _add_monitor_commands(sub: Any) -> None:
    monitors = _group(sub, "monitors", "manage monitors as code")
    parser = _command(
        monitors, "apply", cmd_monitors_apply, "make the org's monitors match a YAML file"
    )
    parser.add_argument(
        "file", help="YAML file with a `monitors:` list (see the documentation: Monitors)"
    )
    parser.add_argument("--org", metavar="SLUG", help="organization (default: the file's `org:`)")
    parser.add_argument(
        "--prune", action="store_true", help="also delete monitors that the file does not list"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be created, changed (field by field) and removed; write nothing",
    )


def cmd_import_statuspage(args: argparse.Namespace) -> int:
    from pathlib import Path

    from upstate.statuspage.importer import import_statuspage, target_page
    from upstate.statuspage.source import ApiSource, DirectorySource, FetchFailed

    if args.from_dir and args.page_id:
        raise InvalidInput("from-dir", "give either --from-dir or --api-key and --page-id")
    if not args.from_dir and not (args.api_key and args.page_id):
        raise InvalidInput("api-key", "give --api-key and --page-id, or --from-dir DIR")
    if args.retries < 0:
        raise InvalidInput("retries", "must be 0 or more")
    org = _org(args.org)
    source: Any = (
        DirectorySource(Path(args.from_dir))
        if args.from_dir
        else ApiSource(
            api_key=args.api_key,
            page_id=args.page_id,
            base_url=args.base_url,
            retries=args.retries,
        )
    )

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        try:
            upstream = source.page()
        except FetchFailed as exc:
            raise CommandError("statuspage", str(exc), Exit.FAILURE) from exc
        page, created = target_page(org=org, slug=args.page, upstream=upstream)
        progress(f"importing into page {page.slug} of {org.slug}")
        report = import_statuspage(
            org=org,
            page=page,
            source=source,
            page_created=created,
            trust_confirmed=args.trust_confirmed,
            progress=progress,
        )
    finally:
        source.close()
    print(report.describe())
    return Exit.OK if report.ok else Exit.FAILURE


def _add_import_commands(sub: Any) -> None:
    group = _group(sub, "import", "bring data from another service")
    parser = _command(
        group,
        "statuspage",
        cmd_import_statuspage,
        "copy an Atlassian Statuspage page (components, incidents, maintenance, templates, "
        "subscribers) into an organization, as history: nobody is notified",
    )
    parser.add_argument("--org", required=True, metavar="SLUG", help="the organization to fill")
    parser.add_argument(
        "--page",
        metavar="SLUG",
        help="the organization's page to fill; created from the Statuspage page when it does "
        "not exist (default: the Statuspage page's subdomain)",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        default=os.environ.get("STATUSPAGE_API_KEY") or None,
        help="a Statuspage API key, to read the live API (default: $STATUSPAGE_API_KEY, which "
        "keeps the key out of the process list)",
    )
    parser.add_argument("--page-id", metavar="ID", help="the Statuspage page id (with --api-key)")
    parser.add_argument(
        "--base-url",
        default="https://api.statuspage.io/v1",
        metavar="URL",
        help="the management API (default https://api.statuspage.io/v1)",
    )
    parser.add_argument(
        "--from-dir",
        metavar="DIR",
        help="read an export instead: page.json, components.json, component-groups.json, "
        "incidents.json (or incidents-1.json, ...), incident_templates.json, subscribers.json",
    )
    parser.add_argument(
        "--trust-confirmed",
        action="store_true",
        help="keep Statuspage's confirmed email and SMS subscribers confirmed (else they are "
        "asked to confirm again)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=4,
        metavar="N",
        help="how often a request answered 429 or 5xx is retried, with a growing pause (default 4)",
    )


# Servers and workers act for others: their threads set their own audit actor.
LONG_RUNNING = (cmd_serve, cmd_web, cmd_worker)
# Commands that prepare the database themselves, or only report on it.
OWN_DATABASE = (*LONG_RUNNING, cmd_migrate, cmd_demo, cmd_doctor, cmd_backup)
# Commands that must not load the settings (which write into the data directory).
WITHOUT_DJANGO = (cmd_restore,)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="upstate",
        description="Upstate: a self-hosted status page and incident response platform.",
        epilog="Configuration comes from environment variables (see the documentation: "
        "Configuration). Exit codes: 0 ok, 1 failure, 2 usage or configuration mistake, "
        "3 database unavailable, 130 interrupted.",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_run_commands(sub)
    _add_account_commands(sub)
    _add_incident_commands(sub)
    _add_monitor_commands(sub)
    _add_import_commands(sub)
    return parser


def _tables_ready() -> None:
    """`web` and `worker` never migrate (hosts of one installation would race to): on a
    database without its tables they say what to run. One that does not answer is no reason
    not to start: the web serves its disk copies, and both follow once it answers."""
    from upstate.terminal import database_ready

    try:
        database_ready(prepare=False)
    except CommandError as exc:
        if exc.code is not Exit.UNAVAILABLE:
            raise


def _run(handler: Handler, args: argparse.Namespace) -> int:
    from upstate.terminal import database_ready, flush_stdout

    if getattr(args, "verbose", False) and handler in LONG_RUNNING:
        # Read by this process's logging set-up and by the children `serve` starts.
        os.environ.setdefault("UPSTATE_LOG_LEVEL", "INFO")
    if handler in WITHOUT_DJANGO:
        return handler(args)
    _setup_django()
    if handler in (cmd_web, cmd_worker):
        _tables_ready()
    if handler in LONG_RUNNING:
        return handler(args)
    if handler not in OWN_DATABASE:
        database_ready()
    from upstate.audit.services import acting_as

    with acting_as(label="cli"):
        code = handler(args)
    flush_stdout()
    return code


def main(argv: list[str] | None = None) -> int:
    from django.db import InterfaceError, OperationalError

    from upstate.terminal import error_line, first_line, reader_gone

    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        return _usage(parser)
    # The accepted-text rule (upstate.lib.text) for every argument, before anything is stored.
    if (refused := accepted_text.first_problem(vars(args))) is not None:
        print(error_line(*refused), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return _run(handler, args)
    except CommandError as exc:
        print(error_line(exc.field, exc.message), file=sys.stderr)
        return exc.code
    except (InvalidInput, ConfigError) as exc:
        field = getattr(exc, "field", "configuration")
        message = getattr(exc, "message", str(exc))
        print(error_line(field, message), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (OperationalError, InterfaceError) as exc:
        # Reached only when the database went away mid-command (it was checked first).
        print(error_line("database", first_line(exc)), file=sys.stderr)
        return Exit.UNAVAILABLE
    except BrokenPipeError:
        reader_gone()
        return Exit.OK
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return Exit.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
