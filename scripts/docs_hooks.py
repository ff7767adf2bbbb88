"""MkDocs hooks (mkdocs.yml `hooks:`): the configuration page's table of environment variables
is generated from the settings' help texts at every build, so it cannot drift from the code."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

MARKER = "<!-- configuration-table -->"
CONFIGURATION_PAGE = "operations/configuration.md"
ROOT = Path(__file__).resolve().parent.parent


def configuration_table() -> str:
    """The table as `python -m upstate.lib.envdoc` prints it, in an environment without this
    machine's settings (the table shows the defaults, and importing the settings writes to the
    data directory: a throwaway one)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("UPSTATE_") and key not in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL")
    }
    with tempfile.TemporaryDirectory() as data_dir:
        env["UPSTATE_DATA_DIR"] = data_dir
        result = subprocess.run(
            [sys.executable, "-m", "upstate.lib.envdoc"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"could not generate the configuration table:\n{result.stderr}")
    return result.stdout


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ANN001 (MkDocs API)
    if page.file.src_uri != CONFIGURATION_PAGE:
        return markdown
    if MARKER not in markdown:
        raise RuntimeError(f"{CONFIGURATION_PAGE} lost its {MARKER} line")
    return markdown.replace(MARKER, configuration_table())
