"""Read a users file (account profile data: run folders carry no country or profession).

CSV (header row) or JSON (a list of objects, ``{"users": [...]}``, or JSON Lines) with
``user_id`` and optionally ``country_code``, ``profession``, ``industry``, ``signup_at``. Optional
``username`` / ``email`` columns map the names a run folder records to the account's ``user_id``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .facts import as_str, timestamp

PROFESSIONS = {"academic", "corporate", "personal"}


@dataclass
class UsersFile:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user_id -> contract fields
    by_username: dict[str, str] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def user_id(self, username: str | None, email: str | None) -> str | None:
        """The account of a run: mapped by username, then email; else the username itself."""
        if username and username in self.by_username:
            return self.by_username[username]
        if email and email.lower() in self.by_email:
            return self.by_email[email.lower()]
        return username


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
    return out
