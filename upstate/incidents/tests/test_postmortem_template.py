"""An organization edits its postmortem template (sections, order, names, prompts) in its
settings; new postmortems use it, older ones keep theirs; admins only."""

from __future__ import annotations

from upstate.dashboard.tests.helpers import declare, incident_url
from upstate.incidents.models import PostmortemSection
from upstate.incidents.services import publish_postmortem, save_postmortem

URL = "/dashboard/acme/postmortem-template/"


def _form(**changes):  # noqa: ANN003, ANN202
    """Every section offered in the usual order, with its usual heading; then `changes`."""
    data = {}
    for place, section in enumerate(PostmortemSection, start=1):
        key = section.value
        data.update(
            {
                f"{key}-include": "on",
                f"{key}-position": str(place),
                f"{key}-name": section.label,
                f"{key}-prompt": section.default_prompt,
            }
        )
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_new_postmortems_use_the_edited_template(client, owner, page):
    older = declare(page, "Older", status="resolved")
    save_postmortem(incident=older, summary="Before the template changed.")
    client.force_login(owner.user)
    response = client.post(
        URL,
        _form(
            **{
                "resolution-position": "1",
                "summary-position": "2",
                "impact-position": "3",
                "root_cause-position": "4",
                "root_cause-name": "Why it happened",
                "root_cause-prompt": "Ask why five times.",
                "timeline-include": None,
            }
        ),
    )
    assert response.status_code == 302

    incident = declare(page, "Newer", status="resolved")
    form = client.get(incident_url(incident, "postmortem/")).context["form"]
    names = [form.fields[name].label for name in form.fields if name != "title"]
    assert names == ["Resolution", "Summary", "Impact", "Why it happened", "Corrective actions"]
    assert form.fields["root_cause"].help_text == "Ask why five times."
    assert "timeline" not in form.fields

    # The postmortem started before keeps the sections it had.
    old_form = client.get(incident_url(older, "postmortem/")).context["form"]
    assert "timeline" in old_form.fields and old_form.fields["root_cause"].label == "Root cause"

    # The public postmortem shows the new headings in the new order.
    save_postmortem(incident=incident, summary="A bad deploy.", root_cause="No canary.",
                    resolution="Rolled back.")  # fmt: skip
    publish_postmortem(incident=incident)
    from upstate.public.pages import documents

    html = documents(page)[f"incidents/{incident.code}/postmortem"]
    html = (html.render() if hasattr(html, "render") else html).decode()
    assert html.index("Resolution") < html.index("Summary") < html.index("Why it happened")
    assert "Rolled back." in html


def test_bad_templates_are_refused_naming_the_field(client, owner):
    client.force_login(owner.user)
    response = client.post(URL, _form(**{"summary-name": ""}))
    assert response.status_code == 400
    assert "summary-name" in response.context["form"].errors
    nothing = {f"{s.value}-include": None for s in PostmortemSection}
    response = client.post(URL, _form(**nothing))
    assert response.status_code == 400
    assert "keep at least one section" in response.content.decode()


def test_members_read_it_and_only_admins_change_it(client, viewer, responder, outsider):
    client.force_login(viewer.user)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Save template" not in response.content.decode()
    assert client.post(URL, _form()).status_code == 403
    client.force_login(responder.user)
    assert client.post(URL, _form(**{"summary-name": "Gist"})).status_code == 403
    client.force_login(outsider.user)
    assert client.get(URL).status_code == 404
    assert client.post(URL, _form()).status_code == 404
    from upstate.incidents.models import PostmortemTemplate

    assert not PostmortemTemplate.objects.exists()
