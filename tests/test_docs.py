"""The documentation site: it builds in strict mode, works offline from the file system, lists
every setting the code reads, and the README's links to it point at pages that exist."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# Environment variables the code reads: Upstate's own, and the three URLs.
VARIABLE = re.compile(r"\b(UPSTATE_[A-Z0-9_]*[A-Z0-9]|DATABASE_URL|REDIS_URL|EMAIL_URL)\b")
# What an offline site must never load: fonts and scripts from third parties.
REMOTE_ASSET = re.compile(
    r"""(?:<script[^>]+src|<link[^>]+href|<img[^>]+src)=["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:url\()?["']?(?:https?:)?//"""
    r"""|fonts\.googleapis|fonts\.gstatic|unpkg\.com/|cdn\.jsdelivr""",
    re.IGNORECASE,
)


def build(site_dir: Path, config: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)]
    if config is not None:
        command += ["--config-file", str(config)]
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    result = build(site_dir)
    assert result.returncode == 0, result.stderr
    return site_dir


# The pages every part of the product writes its user documentation into.
LAYOUT = [
    "index.md",
    "getting-started.md",
    "concepts.md",
    "dashboard.md",
    "response.md",
    "public-page.md",
    "notifications.md",
    "monitors.md",
    "matching.md",
    "api.md",
    "statuspage.md",
    "cli.md",
    "benchmarks.md",
    "operations/configuration.md",
    "operations/reverse-proxy.md",
    "operations/several-hosts.md",
    "operations/backups.md",
    "operations/security.md",
    "operations/monitoring.md",
]


def test_the_layout_is_in_the_nav():
    import yaml

    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)

    def pages(items) -> list[str]:
        found = []
        for item in items:
            for value in item.values() if isinstance(item, dict) else [item]:
                found += pages(value) if isinstance(value, list) else [value]
        return found

    nav = pages(config["nav"])
    for page in LAYOUT:
        assert (DOCS / page).is_file(), page
        assert page in nav, page
        assert (DOCS / page).read_text().startswith("# "), f"{page} starts with its title"


def test_every_page_is_built(site):
    pages = sorted(p.relative_to(DOCS).with_suffix(".html") for p in DOCS.rglob("*.md"))
    assert Path("operations/configuration.html") in pages
    for page in pages:
        assert (site / page).is_file(), page


def test_the_site_loads_nothing_from_other_hosts(site):
    offenders = []
    # Pages, styles and scripts of our own. (The theme's bundle names polyfills it loads only
    # into browsers that lack ResizeObserver, and Mermaid for diagrams this site does not have;
    # the browser test below shows that nothing is requested.)
    for path in site.rglob("*"):
        ours = path.suffix in (".html", ".css") or path.name == "iframe-worker-shim.js"
        if ours and path.is_file():
            text = path.read_text(errors="replace")
            # Code samples on the pages may show third-party URLs; only markup and styles count.
            text = re.sub(r"<code>.*?</code>", "", text, flags=re.DOTALL)
            for match in REMOTE_ASSET.finditer(text):
                offenders.append(f"{path.relative_to(site)}: {match.group(0)}")
    assert offenders == []


def test_a_broken_link_or_a_page_left_out_of_the_nav_fails_the_build(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    config = tmp_path / "mkdocs.yml"
    text = (ROOT / "mkdocs.yml").read_text()
    text = text.replace("docs_dir: docs", f"docs_dir: {docs}")
    text = text.replace("scripts/docs_hooks.py", str(ROOT / "scripts/docs_hooks.py"))
    config.write_text(text)
    assert build(tmp_path / "ok", config).returncode == 0

    (docs / "orphan.md").write_text("# Not in the nav\n")
    result = build(tmp_path / "orphan", config)
    assert result.returncode != 0
    assert "orphan.md" in result.stderr
    (docs / "orphan.md").unlink()

    with (docs / "cli.md").open("a") as page:
        page.write("\n[gone](no-such-page.md) [api](api.md#no-such-anchor)\n")
    result = build(tmp_path / "broken", config)
    assert result.returncode != 0
    assert "no-such-page.md" in result.stderr
    assert "no-such-anchor" in result.stderr


def code_variables() -> set[str]:
    """Every variable name the package's code mentions (tests aside)."""
    names: set[str] = set()
    for path in (ROOT / "upstate").rglob("*.py"):
        if "tests" in path.parts or path.name.startswith("test_"):
            continue
        names.update(VARIABLE.findall(path.read_text()))
    # NAME_FILE is how a text setting is read from a file, not a setting of its own.
    return {name for name in names if not (name.endswith("_FILE") and name[:-5] in names)}


def test_the_configuration_table_lists_every_variable_the_code_reads(site):
    from upstate.lib import envdoc

    documented = {variable.name: variable for variable in envdoc.variables()}
    read = code_variables()
    assert {"UPSTATE_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "UPSTATE_DELIVERY_LEASE"} <= read
    missing = sorted(read - documented.keys())
    assert missing == [], f"give these a help text in upstate/settings.py: {missing}"
    # (other tests declare variables of their own in this process: only the code's count)
    assert [name for name in sorted(read) if not documented[name].help.strip()] == []

    page = (site / "operations" / "configuration.html").read_text()
    rows = [
        name.replace("<wbr>", "")
        for name in re.findall(r"<tr>\s*<td><code>([A-Z0-9_<wbr>]+)</code></td>", page)
    ]
    # This process also holds variables other tests declare; the build, like this, runs clean.
    clean = subprocess.run(
        [sys.executable, "-m", "upstate.lib.envdoc"], capture_output=True, text=True, check=True
    ).stdout
    declared = [
        name.replace("_<wbr>", "_")
        for name in re.findall(r"^\| <code>([^<]+(?:<wbr>[^<]*)*)</code>", clean, re.M)
    ]
    assert read <= set(declared)
    assert sorted(rows) == sorted(declared), "the built table and the settings disagree"
    lease = documented["UPSTATE_DELIVERY_LEASE"]
    assert lease.default == "10" and "heartbeat" in lease.help
    assert "heartbeat renews its claims" in page


def test_readme_links_to_docs_pages_that_exist():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert any(link.startswith("docs/operations/") for link in local)
    for link in local:
        path = link.split("#", 1)[0]
        assert not path.startswith("/"), link
        assert (ROOT / path).exists(), link
    # The front door stays a front door.
    assert len(readme.splitlines()) < 120
    for command in ("make run", "make test", "make docs"):
        assert command in readme


def test_the_built_site_works_offline_in_a_browser(site, browser):
    """Opened from the file system with every network request refused: navigation, content
    and search all work."""
    attempted: list[str] = []

    def refuse(route):
        attempted.append(route.request.url)
        route.abort()

    browser.context.route(re.compile(r"^(https?|wss?)://"), refuse)
    browser.goto((site / "index.html").as_uri())
    assert browser.locator("article h1").first.inner_text().rstrip("¶") == "Upstate"
    nav = browser.locator("nav.md-nav--primary")
    assert nav.get_by_text("Behind a reverse proxy").count() >= 1
    nav.get_by_text("Behind a reverse proxy").first.click()
    browser.wait_for_url(re.compile(r"operations/reverse-proxy\.html$"))
    assert "proxy_cache_use_stale" in browser.locator("article").inner_text()

    # The configuration table, generated at build time, is on its page.
    browser.goto((site / "operations" / "configuration.html").as_uri())
    assert browser.locator("td code", has_text="UPSTATE_DELIVERY_LEASE").count() == 1

    # Search runs in the page (the offline plugin's inlined index and the local worker shim).
    browser.locator("label.md-search__icon, .md-search__input").first.click()
    # Typed key by key, as a person does: the theme searches on keyboard events.
    browser.locator("input.md-search__input").press_sequentially("pg_dump", delay=20)
    result = browser.locator(".md-search-result__item").first
    result.wait_for(timeout=15000)
    assert "Backups" in browser.locator(".md-search-result").inner_text()
    assert attempted == []
