"""Every action item of a postmortem becomes a task of its incident, with the same id.

An action item's owner was free text; the task's assignee is the member it names, matched on
email, user name or full name (case-insensitive, within the incident's organization). When
no member, or more than one, matches, the task stays unassigned and keeps the text in its
note ("Owner before tasks: Platform team"), for someone to assign on the Tasks screen."""

from django.db import migrations

NOTE = "Owner before tasks: {owner}"


def _members(apps, org_id):  # noqa: ANN001, ANN202
    Membership = apps.get_model("orgs", "Membership")
    return list(Membership.objects.filter(org_id=org_id).select_related("user"))


def _match(members, owner):  # noqa: ANN001, ANN202
    wanted = owner.strip().casefold()
    found = []
    for member in members:
        user = member.user
        full = f"{user.first_name} {user.last_name}".strip().casefold()
        names = {user.email.casefold(), user.username.casefold(), full, user.first_name.casefold()}
        if wanted and wanted in names:
            found.append(member)
    return found[0] if len(found) == 1 else None


def forward(apps, schema_editor):  # noqa: ANN001, ANN201
    ActionItem = apps.get_model("incidents", "ActionItem")
    Task = apps.get_model("tasks", "Task")
    members_of = {}
    items = ActionItem.objects.select_related("postmortem__incident").order_by("id")
    for item in items.iterator():
        incident = item.postmortem.incident
        if incident.org_id not in members_of:
            members_of[incident.org_id] = _members(apps, incident.org_id)
        assignee = _match(members_of[incident.org_id], item.owner) if item.owner else None
        Task.objects.create(
            org_id=incident.org_id,
            incident=incident,
            code=item.code,
            title=item.title,
            assignee=assignee,
            due_date=item.due_date,
            state="done" if item.done else "open",
            note=NOTE.format(owner=item.owner)[:255] if item.owner and assignee is None else "",
            position=item.position,
        )


def backward(apps, schema_editor):  # noqa: ANN001, ANN201
    ActionItem = apps.get_model("incidents", "ActionItem")
    Postmortem = apps.get_model("incidents", "Postmortem")
    Task = apps.get_model("tasks", "Task")
    for task in Task.objects.select_related("assignee__user").order_by("id").iterator():
        postmortem, _ = Postmortem.objects.get_or_create(incident_id=task.incident_id)
        owner = task.assignee.user.email if task.assignee else task.note.removeprefix(
            NOTE.format(owner="")
        )
        ActionItem.objects.create(
            postmortem=postmortem,
            code=task.code,
            title=task.title,
            owner=owner[:120],
            due_date=task.due_date,
            done=task.state == "done",
            position=task.position,
        )
    Task.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0001_initial"),
        ("incidents", "0001_initial"),
        ("orgs", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
