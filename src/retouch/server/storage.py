"""What the server keeps in its data directory: images by content hash, sessions and their history.

Layout of the data directory::

    retouch.sqlite3          sessions, history entries, image records
    images/ab/abcdef....jpg  every image once, named by the SHA-256 of its bytes
    tmp/                     outputs being written (moved into images/ when complete)

Images are written once and never modified: an upload is stored as sent, and
an edit's output is a new file. Ids handed to clients are random
(:func:`secrets.token_urlsafe`), so knowing one image does not reveal another;
the same bytes uploaded twice share one file and one id. History is a tree:
each entry points at its parent, undo moves to the parent, redo to the newest
child, and a restart of the server keeps all of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Stored extension and HTTP media type by Pillow format name.
FORMATS = {
    "JPEG": (".jpg", "image/jpeg"),
    "MPO": (".jpg", "image/jpeg"),
    "PNG": (".png", "image/png"),
    "WEBP": (".webp", "image/webp"),
    "TIFF": (".tif", "image/tiff"),
    "BMP": (".bmp", "image/bmp"),
    "GIF": (".gif", "image/gif"),
}
_UNKNOWN_FORMAT = (".img", "application/octet-stream")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    current TEXT
);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    session TEXT NOT NULL REFERENCES sessions(id),
    parent TEXT REFERENCES entries(id),
    image TEXT NOT NULL REFERENCES images(id),
    label TEXT NOT NULL,
    plan TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_session ON entries(session, seq);
CREATE INDEX IF NOT EXISTS entries_by_parent ON entries(parent, seq);
"""


@dataclass(frozen=True)
class StoredImage:
    """One stored image: its public id, where its bytes are, and its size."""

    id: str
    sha256: str
    filename: str
    media_type: str
    width: int
    height: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "width": self.width, "height": self.height, "media_type": self.media_type}


def new_id() -> str:
    """An unguessable id (128 random bits, URL-safe)."""
    return secrets.token_urlsafe(16)


class Store:
    """Images, sessions and history in one data directory; safe to use from several threads.

    Parameters
    ----------
    data_dir : path
        Created if missing. Everything the server keeps lives here.

    Examples
    --------
    >>> import tempfile
    >>> store = Store(tempfile.mkdtemp())
    >>> image = store.add_bytes(b"not really a PNG", "PNG", 1, 1)
    >>> session, entry = store.new_session(image.id, "original")
    >>> store.history(session)["current"] == entry
    True
    """

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.root = Path(data_dir)
        self.images_dir = self.root / "images"
        self.tmp_dir = self.root / "tmp"
        self.images_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.root / "retouch.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # Images ---------------------------------------------------------------------------------------

    def temp_path(self, suffix: str) -> Path:
        """A fresh path in the data directory's ``tmp/`` for an output being written."""
        return self.tmp_dir / f"{new_id()}{suffix}"

    def add_bytes(self, data: bytes, image_format: str | None, width: int, height: int) -> StoredImage:
        """Store encoded image bytes (once per content) and return their record."""
        temp = self.temp_path(".part")
        temp.write_bytes(data)
        return self.add_file(temp, image_format, width, height)

    def add_file(self, temp: Path, image_format: str | None, width: int, height: int) -> StoredImage:
        """Move a finished file from ``tmp/`` into the store (or drop it if the content is known)."""
        digest = hashlib.sha256()
        with open(temp, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
        suffix, media_type = FORMATS.get(image_format or "", _UNKNOWN_FORMAT)
        filename = f"{sha[:2]}/{sha}{suffix}"
        with self._lock:
            known = self._db.execute("SELECT * FROM images WHERE sha256 = ?", (sha,)).fetchone()
            if known is not None:
                temp.unlink(missing_ok=True)
                return _image(known)
            target = self.images_dir / filename
            target.parent.mkdir(exist_ok=True)
            os.replace(temp, target)
            target.chmod(0o444)
            record = StoredImage(new_id(), sha, filename, media_type, width, height)
            self._db.execute(
                "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?)",
                (record.id, sha, filename, media_type, width, height, time.time()),
            )
            return record

    def image(self, image_id: str) -> StoredImage | None:
        """The record of image ``image_id``, or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        return None if row is None else _image(row)

    def image_path(self, image: StoredImage) -> Path:
        """Where the bytes of ``image`` are (read-only)."""
        return self.images_dir / image.filename

    # Sessions and history -------------------------------------------------------------------------

    def new_session(self, image_id: str, label: str) -> tuple[str, str]:
        """Start a session whose first entry is ``image_id``; return ``(session_id, entry_id)``."""
        session, entry = new_id(), new_id()
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("INSERT INTO sessions VALUES (?, ?, ?)", (session, now, entry))
            self._db.execute(
                "INSERT INTO entries (id, session, parent, image, label, plan, created) "
                "VALUES (?, ?, NULL, ?, ?, NULL, ?)",
                (entry, session, image_id, label, now),
            )
            self._db.execute("COMMIT")
        return session, entry

    def has_session(self, session: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (session,)).fetchone() is not None

    def add_entry(self, session: str, image_id: str, label: str, plan: dict[str, Any] | None) -> str:
        """Record an edit as a child of the session's current entry and make it current."""
        entry = new_id()
        with self._lock:
            self._db.execute("BEGIN")
            row = self._db.execute("SELECT current FROM sessions WHERE id = ?", (session,)).fetchone()
            if row is None:
                self._db.execute("ROLLBACK")
                raise KeyError(session)
            self._db.execute(
                "INSERT INTO entries (id, session, parent, image, label, plan, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (entry, session, row["current"], image_id, label, _dump(plan), time.time()),
            )
            self._db.execute("UPDATE sessions SET current = ? WHERE id = ?", (entry, session))
            self._db.execute("COMMIT")
        return entry

    def undo(self, session: str) -> dict[str, Any]:
        """Move the session back to the parent of its current entry (no-op at the first one)."""
        return self._move(session, "SELECT parent AS target FROM entries WHERE id = ?")

    def redo(self, session: str) -> dict[str, Any]:
        """Move the session forward to the newest child of its current entry (no-op if none)."""
        return self._move(
            session, "SELECT id AS target FROM entries WHERE parent = ? ORDER BY seq DESC LIMIT 1"
        )

    def select(self, session: str, entry: str) -> dict[str, Any]:
        """Make ``entry`` (one of the session's) current."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM entries WHERE id = ? AND session = ?", (entry, session)
            ).fetchone()
            if row is None:
                raise KeyError(entry)
            self._db.execute("UPDATE sessions SET current = ? WHERE id = ?", (entry, session))
        return self.history(session)

    def history(self, session: str) -> dict[str, Any]:
        """The session's entries (oldest first), the current one, and whether undo/redo can move."""
        with self._lock:
            row = self._db.execute("SELECT current FROM sessions WHERE id = ?", (session,)).fetchone()
            if row is None:
                raise KeyError(session)
            rows = self._db.execute(
                "SELECT * FROM entries WHERE session = ? ORDER BY seq", (session,)
            ).fetchall()
        current = row["current"]
        entries = [
            {
                "id": r["id"],
                "parent": r["parent"],
                "image": r["image"],
                "label": r["label"],
                "plan": None if r["plan"] is None else json.loads(r["plan"]),
                "created": r["created"],
            }
            for r in rows
        ]
        by_id = {e["id"]: e for e in entries}
        return {
            "session": session,
            "current": current,
            "current_image": by_id[current]["image"],
            "original_image": entries[0]["image"],
            "can_undo": by_id[current]["parent"] is not None,
            "can_redo": any(e["parent"] == current for e in entries),
            "entries": entries,
        }

    def _remove_stale_temporaries(self, age_s: float = 3600.0) -> None:
        # Left by a server that stopped mid-write; young ones may belong to another running server.
        for path in self.tmp_dir.iterdir():
            if path.is_file() and time.time() - path.stat().st_mtime > age_s:
                path.unlink(missing_ok=True)

    def _move(self, session: str, query: str) -> dict[str, Any]:
        with self._lock:
            row = self._db.execute("SELECT current FROM sessions WHERE id = ?", (session,)).fetchone()
            if row is None:
                raise KeyError(session)
            found = self._db.execute(query, (row["current"],)).fetchone()
            if found is not None and found["target"] is not None:
                self._db.execute("UPDATE sessions SET current = ? WHERE id = ?", (found["target"], session))
        return self.history(session)


def _image(row: sqlite3.Row) -> StoredImage:
    return StoredImage(
        row["id"], row["sha256"], row["filename"], row["media_type"], row["width"], row["height"]
    )


def _dump(plan: dict[str, Any] | None) -> str | None:
    return None if plan is None else json.dumps(plan, ensure_ascii=False)
