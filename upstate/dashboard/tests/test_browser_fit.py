"""Layout in a real browser at common widths: every navigation item can be reached without
sideways scrolling, a custom domain's DNS records fit their side panel, and the task filters'
checkboxes are ordinary checkboxes with their labels beside them."""

from __future__ import annotations

import pytest

from upstate.dashboard.tests.helpers import sign_in

WIDTHS = [1280, 1024, 768, 390]

# Whether the element's centre, as the person sees it, is the element itself (not clipped
# away by a scrolling parent, not covered by something else).
SHOWN = """(el) => {
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return !!hit && (hit === el || el.contains(hit));
}"""


@pytest.fixture
def signed_in(_chromium, live_upstate, owner, page):
    """A factory of signed-in tabs of the owner at a given viewport width."""
    contexts = []

    def open_at(width: int):  # noqa: ANN202
        context = _chromium.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        tab = context.new_page()
        sign_in(tab, live_upstate, owner)
        return tab

    yield open_at
    for context in contexts:
        context.close()


def _within_viewport(tab, locator) -> bool:  # noqa: ANN001
    box = locator.bounding_box()
    width = tab.viewport_size["width"]
    height = tab.viewport_size["height"]
    return (
        box is not None
        and box["x"] >= 0
        and box["x"] + box["width"] <= width
        and box["y"] >= 0
        and box["y"] + box["height"] <= height
        and locator.evaluate(SHOWN)
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_every_navigation_item_is_reachable(signed_in, live_upstate, width):
    tab = signed_in(width)
    tab.goto(f"{live_upstate}/dashboard/acme/incidents/")
    links = tab.locator(".mainnav a")
    labels = links.all_text_contents()
    # The owner sees the whole navigation, the page's screens and the set-up ones included.
    for label in ("Overview", "Subscribers", "Members", "Response targets", "Profile"):
        assert label in [text.strip() for text in labels], labels
    out_of_reach = []
    for index in range(links.count()):
        link = links.nth(index)
        menu = link.locator("xpath=ancestor::details[1]")
        opened = False
        if menu.count() and not menu.evaluate("d => d.open"):
            # Inside a closed menu: reachable when its button is on screen and opens it.
            summary = menu.locator("summary")
            if not _within_viewport(tab, summary):
                out_of_reach.append(summary.text_content())
                continue
            summary.click()
            opened = True
        if not _within_viewport(tab, link):
            out_of_reach.append(link.text_content())
        if opened:
            menu.locator("summary").click()
    assert not out_of_reach, f"at {width} px: {out_of_reach}"
    assert tab.evaluate("document.documentElement.scrollWidth") <= width


def test_the_navigation_marks_the_menu_holding_the_current_screen(signed_in, live_upstate):
    tab = signed_in(1280)
    tab.goto(f"{live_upstate}/dashboard/acme/members/")
    current = tab.locator('.mainnav a[aria-current="page"]')
    assert current.text_content().strip() == "Members"
    summary = current.locator("xpath=ancestor::details[1]/summary")
    assert "active" in (summary.get_attribute("class") or "")
    # The everyday screens stay one click away, outside every menu.
    overview = tab.locator(".mainnav a", has_text="Overview")
    assert overview.locator("xpath=ancestor::details").count() == 0


@pytest.mark.parametrize("width", [1280, 390])
def test_the_dns_records_fit_the_side_panel(signed_in, live_upstate, page, width):
    from upstate.pages import domains
    from upstate.pages.services import update_page

    update_page(page=page, custom_domain="status.acme.test")
    page.refresh_from_db()
    tab = signed_in(width)
    tab.goto(f"{live_upstate}/dashboard/acme/pages/acme/settings/")
    panel = tab.locator('aside[aria-labelledby="dns-h"]')
    overflowing = panel.evaluate(
        """(panel) => {
          const right = panel.getBoundingClientRect().right;
          return [...panel.querySelectorAll("*")]
            .filter((el) => el.getBoundingClientRect().right > right + 0.5
                         || el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
            .map((el) => el.tagName + "." + el.className + " " + el.textContent.slice(0, 30));
        }"""
    )
    assert overflowing == [], f"at {width} px"
    value = tab.locator("#domain-record-value")
    assert value.inner_text().strip() == domains.challenge_value(page.domain_token)
    # Every part of both records is on screen once scrolled to, the token selectable at once.
    for text in ("CNAME", "TXT", "status.acme.test"):
        part = panel.get_by_text(text, exact=True).first
        part.scroll_into_view_if_needed()
        assert part.evaluate(SHOWN), text
    value.scroll_into_view_if_needed()
    assert value.evaluate(SHOWN)
    assert value.evaluate("el => getComputedStyle(el).userSelect") == "all"
    assert "mono" in value.evaluate("el => getComputedStyle(el).fontFamily").lower()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_task_filter_checkboxes_sit_beside_their_labels(signed_in, live_upstate, width):
    tab = signed_in(width)
    tab.goto(f"{live_upstate}/dashboard/acme/tasks/")
    for box_id, label in (("f-mine", "Mine"), ("f-overdue", "Overdue")):
        shape = tab.locator(f"#{box_id}").evaluate(
            """(input) => {
              const label = input.closest("label");
              const text = [...label.childNodes].find(
                (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
              const range = document.createRange();
              range.selectNodeContents(text);
              const t = range.getBoundingClientRect();
              const b = input.getBoundingClientRect();
              return {height: b.height, width: b.width, text: text.textContent.trim(),
                      sameLine: b.top < t.bottom && t.top < b.bottom,
                      beside: t.left >= b.right};
            }"""
        )
        assert shape["text"] == label
        assert shape["height"] < 24 and shape["width"] < 24, shape
        assert shape["sameLine"] and shape["beside"], shape
    # Ticking one by its label still filters.
    tab.get_by_label("Overdue").check()
    tab.get_by_role("button", name="Filter").click()
    tab.wait_for_url("**/tasks/?*overdue=1*")
    assert tab.get_by_label("Overdue").is_checked()
