"""Mappings that users keep: saved profiles, and choices learned from corrections (no one has to save them).

A learned mapping is named by its headers ("As last time: Key, Title, Status … (1a2b3c4d)"), so the same
export next month meets it; it is written in the import's own transaction and forgotten on request.
"""
from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.engine import Connection, Engine

from core.accounts.auth import Actor, actor_name, checked, require_writer
from core.importing import queries as import_queries
from core.importing.mapping import Mapping, exact_key


def learnable(mapping: Mapping, inferred: dict[str, str] | None) -> bool:
    """A sheet whose columns or status words the user mapped differently from what inference proposed."""
    return inferred is not None and mapping.profile_name is None and (
        mapping.fields != inferred or any(mapping.value_maps.values()))


def learned_name(headers: list[str]) -> str:
    """One learned mapping per set of headers: the same export next month meets the same name."""
    digest = hashlib.sha256("\x1f".join(sorted(exact_key(h) for h in headers)).encode()).hexdigest()[:8]
    first = ", ".join(h.splitlines()[0][:20] for h in headers[:3])
    return f"As last time: {first} … ({digest})"


def learn(conn: Connection, headers: list[str], mapping: Mapping, file_name: str, user: str | None) -> int:
    """Keep the user's choices for the next file with these headers, in the import's own transaction."""
    return import_queries.upsert_profile(conn, {
        "name": learned_name(headers), "kind": mapping.kind, "headers": list(headers),
        "mapping": dict(mapping.fields), "value_maps": {k: dict(v) for k, v in mapping.value_maps.items() if v},
        "options": {**{k: v for k, v in mapping.options.items() if k not in ("export_time", "strict")},
                    "learned": True, "file": file_name}}, user)


def save_mapping_profile(engine: Engine, values: dict[str, Any], actor: Actor) -> int:
    """Save a mapping profile: managers and admins (executives read only)."""
    viewer = checked(actor)
    if viewer is not None:
        require_writer(viewer)
    return import_queries.save_profile(engine, values, actor_name(actor))


def forget_mapping_profile(engine: Engine, name: str, actor: Actor) -> bool:
    """Forget a saved or learned mapping: managers and admins (executives read only)."""
    viewer = checked(actor)
    if viewer is not None:
        require_writer(viewer)
    return import_queries.forget_profile(engine, name, actor_name(actor))
