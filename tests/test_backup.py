"""`upstate backup` and `upstate restore` for real: subprocesses on fresh data directories,
a backup taken while a running `upstate serve` takes incidents through the API, and a server
started on the restored directory."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import threading
from pathlib import Path

import httpx
import pytest

from upstate.backup import DEMO_CREDENTIALS, MANIFEST, upstate_version
from upstate.demo import CREDENTIALS_FILE

from .test_serve import UPSTATE, _free_port, _wait_for_http, sqlite_env


def _env(data_dir: Path) -> dict[str, str]:
    return sqlite_env(data_dir, drop=("UPSTATE_SECRET_KEY",))


def _upstate(env: dict[str, str], *args: str, cwd: Path | None = None):
    return subprocess.run(
        [UPSTATE, *args], env=env, capture_output=True, text=True, timeout=180, cwd=cwd
    )


class _Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [UPSTATE, "serve", "--port", str(self.port)],
            env=env,
            stdout=self._log,
            stderr=self._log,
        )
        _wait_for_http(f"{self.base}/healthz", self.process)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self._log.close()


@pytest.fixture
def source(tmp_path) -> dict[str, str]:
    """An installation with the demo loaded (a page, incidents, an admin API key)."""
    env = _env(tmp_path / "source")
    assert _upstate(env, "demo").returncode == 0
    return env


def _key(env: dict[str, str]) -> str:
    return json.loads((Path(env["UPSTATE_DATA_DIR"]) / CREDENTIALS_FILE).read_text())["api_key"]


def test_a_backup_taken_while_incidents_are_posted_restores_the_page_and_the_key(source, tmp_path):
    key = _key(source)
    auth = {"Authorization": f"Bearer {key}"}
    server = _Server(source, tmp_path / "source.log")
    posted: list[str] = []
    codes: list[str] = []
    stop = threading.Event()
    failures: list[str] = []

    def post_incidents() -> None:
        with httpx.Client(base_url=server.base, headers=auth, timeout=30) as client:
            page = next(p for p in client.get("/api/v1/pages").json() if p["slug"] == "acme")
            while not stop.is_set():
                title = f"Load test incident {len(posted) + 1}"
                answer = client.post(
                    "/api/v1/incidents",
                    json={"page_id": page["id"], "title": title, "notify": False},
                )
                if answer.status_code == 429:  # the API's rate limit: wait as told
                    stop.wait(float(answer.headers.get("Retry-After", "1")))
                    continue
                if answer.status_code != 201:
                    failures.append(answer.text)
                    return
                posted.append(title)
                codes.append(answer.json()["id"])
                stop.wait(0.05)

    writer = threading.Thread(target=post_incidents)
    writer.start()
    try:
        while len(posted) < 3 and writer.is_alive():
            threading.Event().wait(0.05)
        before = list(posted)
        backup = _upstate(source, "backup", str(tmp_path / "upstate.tar.gz"))
        during = len(posted) - len(before)
    finally:
        stop.set()
        writer.join(timeout=60)
        server.stop()
    assert not failures, failures
    assert len(before) >= 3
    assert backup.returncode == 0, backup.stderr
    assert "Wrote" in backup.stdout and "copying the database" in backup.stderr
    print(f"{during} incidents were posted while the backup ran")

    with tarfile.open(tmp_path / "upstate.tar.gz") as archive:
        names = archive.getnames()
        manifest = json.load(archive.extractfile(MANIFEST))
    # The task queue, the page copies and static files are rebuilt, so left out.
    assert names == [MANIFEST, "upstate.sqlite3", "secret_key", DEMO_CREDENTIALS]
    assert manifest["format"] == 1
    assert "incidents.0001_initial" in manifest["migrations"]
    assert set(manifest["members"]) == set(names[1:])
    assert oct((tmp_path / "upstate.tar.gz").stat().st_mode & 0o777) == "0o600"

    restored = _env(tmp_path / "restored")
    answer = _upstate(restored, "restore", str(tmp_path / "upstate.tar.gz"))
    assert answer.returncode == 0, answer.stderr
    assert "upstate serve" in answer.stdout
    server = _Server(restored, tmp_path / "restored.log")
    try:
        summary = httpx.get(f"{server.base}/p/acme/api/v2/summary.json", timeout=30).json()
        api = httpx.get(f"{server.base}/api/v1/incidents/{codes[0]}", headers=auth, timeout=30)
    finally:
        server.stop()
    shown = {incident["name"] for incident in summary["incidents"]}
    assert set(before) <= shown
    assert "Elevated error rates on the API" in shown  # the demo's own active incident
    # The same secret key: the API key made before the backup opens the restored API.
    assert api.status_code == 200, api.text
    assert api.json()["title"] == before[0]


@pytest.fixture
def archive(source, tmp_path) -> Path:
    path = tmp_path / "upstate.tar.gz"
    answer = _upstate(source, "backup", str(path))
    assert answer.returncode == 0, answer.stderr
    return path


def test_restore_refuses_a_data_directory_that_is_not_empty(archive, tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    answer = _upstate(_env(target), "restore", str(archive))
    assert answer.returncode == 2
    assert answer.stderr.strip().splitlines() == [
        f"upstate: error: data directory: {target} is not empty; restore into an empty data "
        "directory (set UPSTATE_DATA_DIR to a new one)"
    ]
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def _rewritten(path: Path, out: Path, change) -> Path:
    """A copy of the archive with `change(name, data) -> data` applied to each member."""
    with tarfile.open(path) as source, tarfile.open(out, "w:gz") as copy:
        for info in source.getmembers():
            data = change(info.name, source.extractfile(info).read())
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
    return out


def test_a_tampered_archive_is_refused_and_nothing_is_restored(archive, tmp_path):
    def alter(name: str, data: bytes) -> bytes:
        if name != "upstate.sqlite3":
            return data
        return data[:-1] + bytes([data[-1] ^ 1])  # one bit of the database's last page

    tampered = _rewritten(archive, tmp_path / "tampered.tar.gz", alter)
    target = tmp_path / "restored"
    answer = _upstate(_env(target), "restore", str(tampered))
    assert answer.returncode == 1
    assert answer.stderr.strip().splitlines()[-1] == (
        f"upstate: error: file: upstate.sqlite3 in {tampered} does not match the manifest's "
        "SHA-256: the archive is damaged or was altered; nothing was restored"
    )
    assert not target.exists()


def test_an_archive_of_a_newer_format_is_refused(archive, tmp_path):
    def newer(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        return json.dumps({**json.loads(data), "format": 99, "upstate_version": "9.0"}).encode()

    future = _rewritten(archive, tmp_path / "future.tar.gz", newer)
    target = tmp_path / "restored"
    answer = _upstate(_env(target), "restore", str(future))
    assert answer.returncode == 2
    assert "has archive format 99, made by Upstate 9.0" in answer.stderr
    assert not target.exists()


def test_backup_does_not_replace_a_file_without_force(source, archive):
    before = archive.read_bytes()
    answer = _upstate(source, "backup", str(archive))
    assert answer.returncode == 2
    assert answer.stderr.strip().splitlines() == [
        f"upstate: error: file: {archive} exists; give --force to replace it"
    ]
    assert archive.read_bytes() == before
    assert _upstate(source, "backup", str(archive), "--force").returncode == 0
    assert archive.read_bytes() != before  # a new archive (another time in its manifest)


def test_backup_of_a_directory_without_a_database_says_so(tmp_path):
    answer = _upstate(_env(tmp_path / "empty"), "backup", str(tmp_path / "b.tar.gz"))
    assert answer.returncode == 2
    assert "nothing to back up" in answer.stderr
    assert not (tmp_path / "b.tar.gz").exists()


def test_backup_on_postgresql_points_to_pg_dump(tmp_path):
    env = _env(tmp_path / "data")
    env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/h21d"
    answer = _upstate(env, "backup", str(tmp_path / "b.tar.gz"))
    assert answer.returncode == 2
    [line] = answer.stderr.strip().splitlines()
    assert line.startswith("upstate: error: database: DATABASE_URL is PostgreSQL")
    assert 'pg_dump --format=custom --file="upstate-$(date +%F).dump" "$DATABASE_URL"' in line
    assert not (tmp_path / "b.tar.gz").exists()
    (tmp_path / "a.tar.gz").write_bytes(b"an archive")
    restore = _upstate(env, "restore", str(tmp_path / "a.tar.gz"))
    assert restore.returncode == 2
    assert "pg_restore --clean --if-exists --no-owner" in restore.stderr


def test_the_demo_credentials_file_name_is_the_demos():
    assert DEMO_CREDENTIALS == CREDENTIALS_FILE


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"hello.txt": b"hi"}, "is not an Upstate backup (no manifest.json first)"),
        ({MANIFEST: b"{not json"}, "manifest.json is not JSON"),
        (
            {MANIFEST: json.dumps({"format": 1, "members": {"upstate.sqlite3": {}}}).encode()},
            "manifest.json lacks a member's SHA-256",
        ),
    ],
    ids=["no-manifest", "bad-json", "no-hash"],
)
def test_what_is_not_an_upstate_backup_is_refused(tmp_path, members, message):
    path = tmp_path / "other.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    target = tmp_path / "restored"
    answer = _upstate(_env(target), "restore", str(path))
    assert answer.returncode == 2
    [line] = answer.stderr.strip().splitlines()
    assert message in line
    assert not target.exists()


def test_a_database_from_a_newer_upstate_is_restored_with_a_warning(archive, tmp_path):
    def newer(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["migrations"] += ["incidents.9999_from_the_future", "billing.0001_initial"]
        return json.dumps({**manifest, "upstate_version": "9.0"}).encode()

    future = _rewritten(archive, tmp_path / "future.tar.gz", newer)
    answer = _upstate(_env(tmp_path / "restored"), "restore", str(future))
    assert answer.returncode == 0, answer.stderr
    assert (
        f"the database holds 2 migrations this Upstate ({upstate_version()}) does not have "
        "(incidents.9999_from_the_future, billing.0001_initial): it comes from a newer Upstate "
        "(9.0)" in answer.stderr
    )
    # An archive of this Upstate warns of nothing.
    same = _upstate(_env(tmp_path / "again"), "restore", str(archive))
    assert same.returncode == 0 and "warning" not in same.stderr
