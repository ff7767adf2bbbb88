"""The documentation's embedding screenshots (docs/public-page.md), from a demo installation.

    .venv/bin/python scripts/embed_screenshots.py [--out docs/images]

Like scripts/screenshots.py (whose helpers it uses): loads the Acme demo into a temporary data
directory and starts `upstate serve` on a free port. Then it serves a made-up customer website
from a second local server (another origin, as in real life) that embeds the script widget,
the in-product banner, the iframe view and the badges, and photographs it, plus the
dashboard's Embed screen. Everything it starts is stopped on exit."""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import (  # noqa: E402
    CHROMIUM,
    ROOT,
    demo_env,
    free_port,
    load_demo,
    serving,
    shot,
    sign_in,
)

SHOP_STYLE = """<style>
body { margin: 0; font: 16px/1.5 Georgia, serif; background: #fbf8f3; color: #2b2118; }
header { padding: 18px 32px; background: #2b2118; color: #fbf8f3; font-size: 22px; }
main { padding: 24px 32px; max-width: 760px; }
.card { background: #fff; border: 1px solid #e6ddd0; border-radius: 10px; padding: 16px 20px; }
.badges img { margin: 0 8px 8px 0; vertical-align: middle; }
code { font-size: 13px; }
</style>"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002, ANN001, ANN002
        pass


@contextmanager
def customer_site(root: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def shop(body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'>{SHOP_STYLE}</head><body>"
        f"<header>Acme Shop</header><main>{body}</main></body></html>"
    )


def pages(base: str) -> dict[str, str]:
    script = f'<script src="{base}/widget.js" data-page="acme" async></script>'
    badges = "".join(
        f'<p><img src="{base}/p/acme/{path}" alt=""> <code>{path}</code></p>'
        for path in (
            "badge.svg",
            "badge.svg?style=flat-square",
            "badge.svg?style=for-the-badge",
            "badge.svg?label=Acme+API",
        )
    )
    return {
        "widget.html": shop(
            "<h1>Spring collection</h1><p class='card'>Everything ships within two days.</p>"
            + script
        ),
        "banner.html": shop(
            "<h1>Your API keys</h1><p class='card'>Create keys to call the Acme API.</p>"
            f'<script src="{base}/widget.js" data-page="acme" data-mode="banner"'
            ' data-components="API" async></script>'
        ),
        "iframe.html": shop(
            "<h1>Service status</h1>"
            f'<iframe src="{base}/p/acme/embed" title="Acme status" width="420" height="330"'
            ' style="border:1px solid #e6ddd0;border-radius:10px"></iframe>'
        ),
        "badges.html": shop(f"<h1>README</h1><div class='badges'>{badges}</div>"),
    }


def take(out: Path, base: str, site: str, email: str, password: str) -> list[Path]:
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            tab = browser.new_context(viewport={"width": 900, "height": 420}).new_page()
            ready = {
                "widget": lambda t: expect(t.locator("upstate-status .t")).to_be_visible(),
                "banner": lambda t: expect(
                    t.locator("upstate-status [role=status]")
                ).to_be_visible(),
                "iframe": lambda t: expect(
                    t.frame_locator("iframe").locator("#overall")
                ).to_be_visible(),
                "badges": lambda t: t.wait_for_load_state("networkidle"),
            }
            for name, wait in ready.items():
                tab.set_viewport_size({"width": 900, "height": 520 if name == "iframe" else 420})
                tab.goto(f"{site}/{name}.html")
                wait(tab)
                saved.append(shot(tab, out / f"embed-{name}.png"))
            dashboard = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            sign_in(dashboard, base, email, password)
            dashboard.goto(f"{base}/dashboard/acme/pages/acme/embed/")
            expect(dashboard.locator("#preview-widget upstate-status .t")).to_be_visible()
            dashboard.locator("#widget-h").evaluate(
                "el => { el.parentElement.scrollIntoView(); window.scrollBy(0, -16); }"
            )
            saved.append(shot(dashboard, out / "embed-dashboard.png"))
        finally:
            browser.close()
    return saved


def render_site(root: Path, base: str) -> None:
    for name, html in pages(base).items():
        (root / name).write_text(html)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"error: {CHROMIUM} is missing; install it with: sudo apt-get install chromium")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="upstate-embed-screenshots-") as tmp:
        port = free_port()
        env = demo_env(Path(tmp) / "data", f"http://127.0.0.1:{port}")
        email, password = load_demo(env)
        site_root = Path(tmp) / "site"
        site_root.mkdir()
        with serving(env, port, Path(tmp) / "serve.log") as base:
            render_site(site_root, base)
            with customer_site(site_root) as site:
                for path in take(args.out, base, site, email, password):
                    print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
