"""Read a users file, and decide who ran a run (account profile data: run folders carry no country).

CSV (header row) or JSON (a list of objects, ``{"users": [...]}``, or JSON Lines) with
``user_id`` and optionally ``country_code``, ``profession``, ``industry``, ``signup_at``. Optional
columns attribute runs to the account: ``username``, ``email`` and ``entity`` map the names a run
folder records; ``folder`` (a path relative to the imported folder, e.g. ``alice`` or
``lab/alice/wandb``) attributes every run folder below it.

Who ran a run (:meth:`UsersFile.attribute`), first match wins:

1. ``import-runs --user ID`` (the whole import);
2. a users-file row whose ``folder`` holds the run folder (the deepest such row);
3. the drop-box convention: a folder named ``user=ID`` above the run folder (the nearest);
4. what the run recorded, mapped by the users file: ``username`` (environment record /
   wandb-metadata.json), then ``email``, then ``entity`` (run record; ``wandb.init(entity=...)``);
5. what the run recorded, unmapped: the username, else the entity (a personal entity is the
   account name; a team entity stands for the team), else a pseudonym of the e-mail
   (``email-`` + 16 hex digits of its SHA-256: e-mail addresses are not written to the landing zone);
6. nothing: anonymous (``user_id`` null, counted under "unknown").
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from .facts import RunFacts, as_str, timestamp

PROFESSIONS = {"academic", "corporate", "personal"}
DROPBOX_USER_PREFIX = "user="


@dataclass
class UsersFile:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user_id -> contract fields
    by_username: dict[str, str] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)
    by_entity: dict[str, str] = field(default_factory=dict)
    by_folder: dict[tuple[str, ...], str] = field(default_factory=dict)  # path parts -> user_id
    problems: list[str] = field(default_factory=list)

    def attribute(self, facts: RunFacts, folder: str, user: str | None = None) -> tuple[str | None, str]:
        """(user_id, the rule that decided it) for a run folder at ``folder`` (relative to the source)."""
        if user:
            return user, "--user"
        parts = PurePosixPath(folder).parts[:-1] if folder not in ("", ".") else ()
        for n in range(len(parts), 0, -1):
            if (uid := self.by_folder.get(parts[:n])) is not None:
                return uid, "users file folder"
        for part in reversed(parts):
            if part.startswith(DROPBOX_USER_PREFIX) and (uid := part[len(DROPBOX_USER_PREFIX) :].strip()):
                return uid, "user= folder"
        email = facts.email.strip().lower() if facts.email else None
        for value, table, rule in (
            (facts.username, self.by_username, "username"),
            (email, self.by_email, "email"),
            (facts.entity, self.by_entity, "entity"),
        ):
            if value and value in table:
                return table[value], f"{rule} (users file)"
        if facts.username:
            return facts.username, "username"
        if facts.entity:
            return facts.entity, "entity"
        if email:
            return "email-" + hashlib.sha256(email.encode()).hexdigest()[:16], "email (pseudonym)"
        return None, "anonymous"


def _rows(path: Path, text: str) -> list[Any]:
    if path.suffix.lower() == ".csv":
        return list(csv.DictReader(io.StringIO(text)))
    if path.suffix.lower() == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    return data.get("users", []) if isinstance(data, dict) else data


def read_users(path: Path) -> UsersFile:
    out = UsersFile()
    try:
        rows = _rows(path, path.read_text(encoding="utf-8-sig"))  # -sig: spreadsheets write a BOM
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as e:
        out.problems.append(f"users file {path.name}: unreadable ({e})")
        return out
    if not isinstance(rows, list):
        out.problems.append(f"users file {path.name}: expected a list of users")
        return out
    for n, row in enumerate(rows, start=1):
        uid = as_str(str(row.get("user_id") or "").strip()) if isinstance(row, dict) else None
        if uid is None:
            out.problems.append(f"users file {path.name}: row {n} has no user_id, skipped")
            continue
        profession = (as_str(row.get("profession")) or "").strip().lower() or None
        if profession is not None and profession not in PROFESSIONS:
            out.problems.append(f"users file {path.name}: row {n} profession {profession!r} unknown, kept as null")
            profession = None
        signup: datetime | None = timestamp(row.get("signup_at")) if row.get("signup_at") else None
        out.users[uid] = {
            "user_id": uid,
            "signup_at": signup,
            "country_code": ((as_str(row.get("country_code")) or "").strip().upper() or None),
            "profession": profession,
            "industry": (as_str(row.get("industry")) or "").strip() or None,
        }
        if name := (as_str(row.get("username")) or "").strip():
            out.by_username[name] = uid
        if email := (as_str(row.get("email")) or "").strip().lower():
            out.by_email[email] = uid
        if entity := (as_str(row.get("entity")) or "").strip():
            out.by_entity[entity] = uid
        if folder := (as_str(row.get("folder")) or "").strip().strip("/"):
            out.by_folder[PurePosixPath(folder).parts] = uid
    return out
