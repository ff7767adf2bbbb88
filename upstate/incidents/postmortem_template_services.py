"""An organization's postmortem template: which sections new postmortems get, in what order,
under what names and with what prompts."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from upstate.audit.services import record
from upstate.incidents.models import PostmortemSection, PostmortemTemplate, default_sections
from upstate.lib.errors import InvalidInput
from upstate.orgs.models import Organization

MAX_NAME = 60
MAX_PROMPT = 300


def sections_of(org: Organization) -> list[dict[str, str]]:
    template = PostmortemTemplate.objects.filter(org=org).first()
    return template.sections if template is not None else default_sections()


def _section(index: int, item: Any, seen: set[str]) -> dict[str, str]:
    field = f"sections.{index}"
    if not isinstance(item, dict):
        raise InvalidInput(field, "must be an object with key, name and prompt")
    key = item.get("key")
    if key not in PostmortemSection.values:
        raise InvalidInput(f"{field}.key", f"must be one of {', '.join(PostmortemSection.values)}")
    if key in seen:
        raise InvalidInput(f"{field}.key", "is named twice")
    seen.add(key)
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"{field}.name", "must not be empty")
    if len(name.strip()) > MAX_NAME:
        raise InvalidInput(f"{field}.name", f"must be at most {MAX_NAME} characters")
    prompt = item.get("prompt") or ""
    if not isinstance(prompt, str) or len(prompt.strip()) > MAX_PROMPT:
        raise InvalidInput(f"{field}.prompt", f"must be text of at most {MAX_PROMPT} characters")
    return {"key": key, "name": name.strip(), "prompt": prompt.strip()}


@transaction.atomic
def save_postmortem_template(
    *, org: Organization, sections: list[dict[str, Any]]
) -> PostmortemTemplate:
    """Replace the organization's sections (in this order); postmortems started from now on
    use them, those started before keep theirs."""
    seen: set[str] = set()
    cleaned = [_section(index, item, seen) for index, item in enumerate(sections)]
    if not cleaned:
        raise InvalidInput("sections", "keep at least one section")
    template, _ = PostmortemTemplate.objects.update_or_create(
        org=org, defaults={"sections": cleaned}
    )
    record(org=org, action="postmortem_template.saved", details={"sections": list(seen)})
    return template
