"""`upstate backup` and `upstate restore`: one archive of an installation on SQLite.

The archive is a `.tar.gz` holding `manifest.json` first (format version, Upstate version,
the migrations applied, when, and the SHA-256 of every other member), then the database as
SQLite's online backup copied it (consistent while Upstate runs and writes), then the files
of the data directory that cannot be rebuilt: the generated secret key and the demo's
credentials. The rest of the data directory is left out on purpose: the embedded task queue
(`tasks.sqlite3`) is refilled by the worker's sweep from the notification outbox, each host's
public page copies (`snapshots/`) are rebuilt from the database, and `static/`, `metrics/`
and caches hold nothing of the installation's own.

Restore reads only the members the manifest names, checks each one's hash while writing it
beside its place, and moves them in only when every one matched: a damaged archive leaves the
data directory as empty as it was."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from upstate.lib import secretkey
from upstate.terminal import CommandError, Exit

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "upstate.sqlite3"
# upstate.demo.CREDENTIALS_FILE (not imported: restore runs before Django is set up).
DEMO_CREDENTIALS = "demo-credentials.json"
# The data directory's files that matter beside the database; nothing else is taken.
KEPT_FILES = (secretkey.FILE_NAME, DEMO_CREDENTIALS)
MEMBERS = (DATABASE, *KEPT_FILES)
CHUNK = 1024 * 1024

PG_DUMP = 'pg_dump --format=custom --file="upstate-$(date +%F).dump" "$DATABASE_URL"'
PG_RESTORE = 'pg_restore --clean --if-exists --no-owner --dbname "$DATABASE_URL" FILE.dump'

Progress = Callable[[str], None]


@dataclass
class Manifest:
    upstate_version: str
    created_at: str
    migrations: list[str]
    secret_key: str  # "file" (kept in the archive) or "environment" (UPSTATE_SECRET_KEY)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    format: int = FORMAT_VERSION

    def as_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "upstate_version": self.upstate_version,
            "created_at": self.created_at,
            "database": "sqlite",
            "secret_key": self.secret_key,
            "migrations": self.migrations,
            "members": self.members,
        }


def human_size(size: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def upstate_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("upstate")
    except PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- backup ---------------------------------------------------------------------------------


def _checked_target(target: Path, *, force: bool) -> None:
    if target.is_dir():
        raise CommandError("file", f"{target} is a directory; name the archive to write")
    if not target.parent.is_dir():
        raise CommandError("file", f"{target.parent} does not exist")
    if target.exists() and not force:
        raise CommandError("file", f"{target} exists; give --force to replace it")


def _copy_database(source_path: Path, copy_path: Path, progress: Progress) -> list[str]:
    """A consistent copy through SQLite's online backup; answers the migrations it holds.

    One step (pages=-1) copies everything under a single read transaction: in WAL mode the
    writers of a running Upstate carry on meanwhile, and a stepped copy would restart each
    time one of them commits."""
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(copy_path)
    try:
        pages, page_size = (
            source.execute("PRAGMA page_count").fetchone()[0],
            source.execute("PRAGMA page_size").fetchone()[0],
        )
        progress(f"copying the database ({human_size(pages * page_size)}) with SQLite's backup")
        source.backup(copy, pages=-1)
        # The copy stands alone: no -wal file beside it in the archive.
        copy.execute("PRAGMA journal_mode=DELETE")
        checked = copy.execute("PRAGMA quick_check").fetchone()[0]
        if checked != "ok":
            raise CommandError(
                "database", f"the copy fails SQLite's check: {checked}", Exit.FAILURE
            )
        try:
            rows = copy.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()
        except sqlite3.OperationalError as error:
            raise CommandError(
                "database", f"{source_path} holds no Upstate tables ({error})"
            ) from error
    finally:
        copy.close()
        source.close()
    return [f"{app}.{name}" for app, name in rows]


def _write_archive(staging: Path, manifest: Manifest, partial: Path) -> None:
    """The tar.gz, owner-only (it holds the secret key), manifest first."""
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    now = dt.datetime.now(dt.UTC).timestamp()
    with os.fdopen(fd, "wb") as out:
        with tarfile.open(fileobj=out, mode="w:gz") as archive:
            document = json.dumps(manifest.as_json(), indent=2).encode() + b"\n"
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(document), 0o600, now
            archive.addfile(info, io.BytesIO(document))
            for name in manifest.members:
                info = archive.gettarinfo(staging / name, arcname=name)
                info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                with (staging / name).open("rb") as member:
                    archive.addfile(info, member)
        out.flush()
        os.fsync(out.fileno())


def _put_in_place(partial: Path, target: Path, *, force: bool) -> None:
    if force:
        os.replace(partial, target)
        return
    try:
        os.link(partial, target)  # never replaces a file that appeared meanwhile
    except FileExistsError as error:
        raise CommandError("file", f"{target} exists; give --force to replace it") from error
    partial.unlink()


@dataclass
class BackupResult:
    path: Path
    size: int
    manifest: Manifest

    def describe(self) -> str:
        kept = ", ".join(name for name in self.manifest.members if name != DATABASE)
        database = human_size(self.manifest.members[DATABASE]["size"])
        return (
            f"Wrote {self.path} ({human_size(self.size)}): the database ({database}, "
            f"{len(self.manifest.migrations)} migrations applied)"
            + (f" and {kept}" if kept else "")
            + "."
        )


def postgres_refusal(action: str) -> CommandError:
    if action == "backup":
        how = f"back it up with pg_dump: {PG_DUMP}"
    else:
        how = f"restore it with pg_restore: {PG_RESTORE}"
    return CommandError(
        "database", f"DATABASE_URL is PostgreSQL, which `upstate {action}` does not handle; {how}"
    )


def backup(target: Path, *, force: bool, progress: Progress) -> BackupResult:
    """Writes the archive of the installation the settings describe (Django set up)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if "sqlite" not in database["ENGINE"]:
        raise postgres_refusal("backup")
    _checked_target(target, force=force)
    source = Path(database["NAME"])
    if not source.is_file():
        raise CommandError("database", f"no database at {source}: nothing to back up")
    data_dir = Path(settings.DATA_DIR)
    with tempfile.TemporaryDirectory(prefix=".upstate-backup-", dir=target.parent) as work:
        staging = Path(work)
        migrations = _copy_database(source, staging / DATABASE, progress)
        names = [DATABASE]
        for name in KEPT_FILES:
            if (data_dir / name).is_file():
                shutil.copyfile(data_dir / name, staging / name)
                names.append(name)
        in_environment = bool(os.environ.get("UPSTATE_SECRET_KEY_FILE")) or bool(
            os.environ.get("UPSTATE_SECRET_KEY")
        )
        manifest = Manifest(
            upstate_version=upstate_version(),
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            migrations=migrations,
            secret_key="environment" if in_environment else "file",
            members={
                name: {"sha256": _sha256(staging / name), "size": (staging / name).stat().st_size}
                for name in names
            },
        )
        progress(f"writing {target}")
        partial = staging / f"{target.name}.partial"
        _write_archive(staging, manifest, partial)
        _put_in_place(partial, target, force=force)
    return BackupResult(path=target, size=target.stat().st_size, manifest=manifest)


# --- restore --------------------------------------------------------------------------------


def data_dir_from_environment() -> Path:
    """settings.DATA_DIR, read without loading the settings: they would write a new secret
    key, the task queue and `static/` into the directory to be restored into."""
    return Path(_setting("UPSTATE_DATA_DIR") or "data").resolve()


def _setting(name: str) -> str:
    """As upstate.lib.env.env_str reads it: `NAME_FILE` (a path) wins over `NAME`."""
    if file_path := os.environ.get(f"{name}_FILE"):
        return Path(file_path).read_text().strip()
    return os.environ.get(name, "")


def database_path_from_environment(data_dir: Path) -> Path:
    url = _setting("DATABASE_URL")
    if not url:
        return data_dir / DATABASE
    import dj_database_url

    try:
        config = dj_database_url.parse(url)
    except ValueError as error:
        raise CommandError("DATABASE_URL", str(error)) from error
    if "sqlite" not in config["ENGINE"]:
        raise postgres_refusal("restore")
    return Path(config["NAME"]).resolve()


def _read_manifest(archive: tarfile.TarFile, path: Path) -> dict[str, Any]:
    first = archive.next()
    if first is None or first.name != MANIFEST or not first.isfile() or first.size > CHUNK:
        raise CommandError("file", f"{path} is not an Upstate backup (no {MANIFEST} first)")
    reader = archive.extractfile(first)
    assert reader is not None  # a regular file
    try:
        manifest = json.loads(reader.read())
    except ValueError as error:
        raise CommandError("file", f"{path}: {MANIFEST} is not JSON ({error})") from error
    version = manifest.get("format") if isinstance(manifest, dict) else None
    if not isinstance(version, int) or version < 1:
        raise CommandError("file", f"{path}: {MANIFEST} has no valid format version")
    if version > FORMAT_VERSION:
        raise CommandError(
            "file",
            f"{path} has archive format {version}, made by Upstate "
            f"{manifest.get('upstate_version', '?')}; this Upstate ({upstate_version()}) reads "
            f"format {FORMAT_VERSION} at most: restore it with that version or a newer one",
        )
    members = manifest.get("members")
    if not isinstance(members, dict) or DATABASE not in members:
        raise CommandError("file", f"{path}: {MANIFEST} lists no database")
    if not all(isinstance(entry, dict) and entry.get("sha256") for entry in members.values()):
        raise CommandError("file", f"{path}: {MANIFEST} lacks a member's SHA-256")
    unknown = sorted(set(members) - set(MEMBERS))
    if unknown:
        raise CommandError("file", f"{path}: {MANIFEST} lists unknown members: {unknown}")
    return manifest


def _not_empty(data_dir: Path, database: Path) -> str | None:
    if data_dir.exists() and not data_dir.is_dir():
        return f"{data_dir} is not a directory"
    if data_dir.is_dir() and any(data_dir.iterdir()):
        return (
            f"{data_dir} is not empty; restore into an empty data directory "
            "(set UPSTATE_DATA_DIR to a new one)"
        )
    if database.exists():
        return f"{database} exists; restore into a new database file"
    return None


@dataclass
class RestoreResult:
    data_dir: Path
    manifest: dict[str, Any]
    warnings: list[str]

    def describe(self) -> str:
        return (
            f"Restored the backup of {self.manifest.get('created_at', '?')} (Upstate "
            f"{self.manifest.get('upstate_version', '?')}, "
            f"{len(self.manifest.get('migrations', []))} migrations applied) into "
            f"{self.data_dir}. Start it with `upstate serve`."
        )


def restore(path: Path, *, progress: Progress) -> RestoreResult:
    """Unpacks `path` into the (empty) data directory of the environment; no Django."""
    if not path.is_file():
        what = "does not exist" if not path.exists() else "is not a file"
        raise CommandError("file", f"{path} {what}")
    data_dir = data_dir_from_environment()
    database = database_path_from_environment(data_dir)
    if (problem := _not_empty(data_dir, database)) is not None:
        raise CommandError("data directory", problem)
    places = {name: data_dir / name for name in KEPT_FILES} | {DATABASE: database}
    created = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".upstate-restore-", dir=data_dir))
    done = False
    try:
        try:
            with tarfile.open(path, mode="r:gz") as archive:
                manifest = _read_manifest(archive, path)
                progress(f"restoring {', '.join(manifest['members'])} into {data_dir}")
                _unpack_checked(archive, manifest["members"], staging, path)
        except (tarfile.TarError, OSError, EOFError) as error:
            if isinstance(error, FileNotFoundError | PermissionError):
                raise
            raise CommandError(
                "file", f"{path} is not a readable Upstate backup ({error})"
            ) from error
        moved: list[Path] = []
        try:
            for name in manifest["members"]:
                places[name].parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / name, places[name])
                moved.append(places[name])
        except OSError:
            for place in moved:
                place.unlink(missing_ok=True)
            raise
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not done and created:
            with contextlib.suppress(OSError):
                data_dir.rmdir()
    warnings = []
    applied = manifest.get("migrations")
    if unknown := unknown_migrations(applied if isinstance(applied, list) else []):
        shown = ", ".join(unknown[:3]) + (
            f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        )
        warnings.append(
            f"the database holds {len(unknown)} migrations this Upstate ({upstate_version()}) "
            f"does not have ({shown}): it comes from a newer Upstate "
            f"({manifest.get('upstate_version', '?')}); run that version or a later one on it"
        )
    if manifest.get("secret_key") == "environment" and not (
        os.environ.get("UPSTATE_SECRET_KEY") or os.environ.get("UPSTATE_SECRET_KEY_FILE")
    ):
        warnings.append(
            "the backed-up installation took its secret key from UPSTATE_SECRET_KEY: set the "
            "same key here, or its API keys, webhook secrets and provider tokens stop working"
        )
    return RestoreResult(data_dir=data_dir, manifest=manifest, warnings=warnings)


def unknown_migrations(applied: list[str]) -> list[str]:
    """The migrations in `applied` that this code lacks, Django's own left aside (they come
    with Django's version). Read from the packages' files: no Django set up."""
    import django.contrib

    package = Path(__file__).resolve().parent
    contrib = Path(django.contrib.__file__).resolve().parent
    unknown = []
    for entry in applied:
        app, _, name = str(entry).partition(".")
        if app.isidentifier() and (contrib / app / "migrations").is_dir():
            continue
        if not (app.isidentifier() and (package / app / "migrations" / f"{name}.py").is_file()):
            unknown.append(str(entry))
    return unknown


def _unpack_checked(
    archive: tarfile.TarFile, members: dict[str, Any], staging: Path, path: Path
) -> None:
    """Each listed member written into `staging` while its hash is taken; any difference
    from the manifest refuses the whole archive."""
    seen: set[str] = set()
    while (info := archive.next()) is not None:  # after the manifest, already read
        if info.name not in members or info.name in seen or not info.isfile():
            raise CommandError("file", f"{path} holds {info.name!r}, which its manifest omits")
        seen.add(info.name)
        reader = archive.extractfile(info)
        assert reader is not None
        digest = hashlib.sha256()
        fd = os.open(staging / info.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != members[info.name].get("sha256"):
            raise CommandError(
                "file",
                f"{info.name} in {path} does not match the manifest's SHA-256: the archive is "
                "damaged or was altered; nothing was restored",
                Exit.FAILURE,
            )
    missing = sorted(set(members) - seen)
    if missing:
        raise CommandError("file", f"{path} lacks {', '.join(missing)} listed in its manifest")
