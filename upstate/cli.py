"""The `upstate` command: run the server and worker, set up organizations, users and API
keys, load the demo, and post incidents from a terminal."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from collections.abc import Callable
from typing import Any

from upstate.lib.env import ConfigError
from upstate.lib.errors import InvalidInput
from upstate.server import WebOptions

EXIT_BAD_INPUT = 2
Handler = Callable[[argparse.Namespace], int]


def _setup_django() -> None:
    import django
    from django.apps import apps

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstate.settings")
    if not apps.ready:  # already set up when called from tests or a Django shell
        django.setup()


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

    applied = migrate()
    print(f"Applied {applied} migrations." if applied else "The database is up to date.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from upstate.demo import load_demo
    from upstate.server import migrate

    migrate(verbosity=0)
    result = load_demo()
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


def _page(slug: str) -> Any:
    from upstate.pages.models import StatusPage

    page = StatusPage.objects.filter(slug=slug).first()
    if page is None:
        raise InvalidInput("page", f"no status page with slug {slug!r}")
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


def _components(page: Any, refs: list[str]) -> dict[Any, str | None]:
    """`NAME_OR_CODE` follows the incident's impact; `NAME_OR_CODE=STATUS` overrides it."""
    from upstate.pages.models import ComponentStatus

    chosen: dict[Any, str | None] = {}
    for ref in refs:
        name, _, status = ref.rpartition("=")
        if not name or status not in ComponentStatus.values:
            name, status = ref, ""
        chosen[_component(page, name)] = status or None
    return chosen


def cmd_incident_create(args: argparse.Namespace) -> int:
    from upstate.incidents.services import create_incident

    page = _page(args.page)
    incident = create_incident(
        page=page,
        title=args.title,
        status=args.status,
        impact=args.impact,
        severity=args.severity,
        components=_components(page, args.component),
        message=args.message,
    )
    print(incident.code)
    print(f"Declared incident {incident.code} on {page.slug}: {incident.title}", file=sys.stderr)
    return 0


def _incident(code: str) -> Any:
    from upstate.incidents.models import Incident

    incident = Incident.objects.select_related("page").filter(code=code).first()
    if incident is None:
        raise InvalidInput("code", f"no incident with code {code!r}")
    return incident


def cmd_incident_update(args: argparse.Namespace) -> int:
    from upstate.incidents.services import post_update

    incident = _incident(args.code)
    update = post_update(
        incident=incident,
        status=args.status,
        message=args.message,
        components=_components(incident.page, args.component),
    )
    print(f"Posted {update.status} to {incident.code}: {incident.title}")
    return 0


def cmd_incident_list(args: argparse.Namespace) -> int:
    from upstate.incidents.models import ACTIVE_STATUSES, Incident

    incidents = Incident.objects.select_related("page").order_by("-started_at", "-id")
    if args.page:
        incidents = incidents.filter(page=_page(args.page))
    if args.active:
        incidents = incidents.filter(status__in=ACTIVE_STATUSES)
    rows = [("CODE", "PAGE", "STATUS", "IMPACT", "STARTED (UTC)", "TITLE")]
    for incident in incidents[: args.limit]:
        started = incident.started_at.strftime("%Y-%m-%d %H:%M")
        row = (incident.code, incident.page.slug, incident.status, incident.impact, started)
        rows.append((*row, incident.title))
    if len(rows) == 1:
        print("No incidents.")
        return 0
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)]
        print("  ".join([*cells, row[5]]))
    return 0


# --- the parser ------------------------------------------------------------------------------


def _add_web_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="web server processes (default 1)")
    parser.add_argument(
        "--threads",
        type=int,
        help="request threads per web process (default: 2 x CPU cores + 1)",
    )


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
    _command(sub, "worker", cmd_worker, "run the background worker alone (tasks, schedules)")
    _command(sub, "migrate", cmd_migrate, "create or upgrade the database tables")
    _command(sub, "demo", cmd_demo, "load the Acme demo (once) and print how to sign in")


def _add_account_commands(sub: Any) -> None:
    org = _group(sub, "org", "manage organizations")
    parser = _command(org, "create", cmd_org_create, "create an organization")
    parser.add_argument("slug", help="short name: lowercase letters, digits, hyphens")
    parser.add_argument("--name", required=True, help="display name")

    user = _group(sub, "user", "manage users")
    parser = _command(user, "create", cmd_user_create, "create a user (or change a member's role)")
    parser.add_argument("email")
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


def _add_incident_commands(sub: Any) -> None:
    incident = _group(sub, "incident", "declare, update and list incidents")
    component_help = (
        "affected component by name or code; NAME=STATUS overrides its status "
        "(repeatable, e.g. --component API=major_outage)"
    )
    parser = _command(incident, "create", cmd_incident_create, "declare an incident")
    parser.add_argument("--page", required=True, metavar="SLUG", help="status page slug")
    parser.add_argument("--title", required=True)
    parser.add_argument(
        "--status",
        default="investigating",
        help="investigating (default), identified, monitoring or resolved",
    )
    parser.add_argument(
        "--impact", default="minor", help="none, minor (default), major or critical"
    )
    parser.add_argument("--severity", default="", help="critical, high, medium or low")
    parser.add_argument(
        "--component",
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME_OR_CODE",
        help=component_help,
    )
    parser.add_argument("--message", default="", help="first update, in Markdown")

    parser = _command(incident, "update", cmd_incident_update, "post an update to an incident")
    parser.add_argument("code", help="the incident's code (see `upstate incident list`)")
    parser.add_argument(
        "--status", required=True, help="investigating, identified, monitoring or resolved"
    )
    parser.add_argument("--message", default="", help="the update, in Markdown")
    parser.add_argument(
        "--component",
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME_OR_CODE",
        help=component_help,
    )

    parser = _command(incident, "list", cmd_incident_list, "list incidents, newest first")
    parser.add_argument("--page", metavar="SLUG", help="only this status page")
    parser.add_argument("--active", action="store_true", help="only unresolved incidents")
    parser.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")


def cmd_monitors_apply(args: argparse.Namespace) -> int:
    from pathlib import Path

    from upstate.monitors.config import apply, load

    document = load(Path(args.file))
    slug = args.org or document.get("org")
    if not slug:
        raise InvalidInput("org", "give --org SLUG or an `org:` line in the file")
    org = _org(str(slug))
    total = len(document["monitors"])
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
    parser.add_argument("file", help="YAML file with a `monitors:` list (see the README)")
    parser.add_argument("--org", metavar="SLUG", help="organization (default: the file's `org:`)")
    parser.add_argument(
        "--prune", action="store_true", help="also delete monitors that the file does not list"
    )


# Servers and workers act for others: their threads set their own audit actor.
LONG_RUNNING = (cmd_serve, cmd_web, cmd_worker)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="upstate",
        description="Upstate: a self-hosted status page and incident response platform.",
        epilog="Configuration comes from environment variables; see the README.",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_run_commands(sub)
    _add_account_commands(sub)
    _add_incident_commands(sub)
    _add_monitor_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        return _usage(parser)
    try:
        _setup_django()
        if handler in LONG_RUNNING:
            return handler(args)
        from upstate.audit.services import acting_as

        with acting_as(label="cli"):
            return handler(args)
    except (InvalidInput, ConfigError) as exc:
        field = getattr(exc, "field", "configuration")
        message = getattr(exc, "message", str(exc))
        print(f"upstate: error: {field}: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
