"""What a grid cell means in the database: people by name, objectives by code or title, and the checks
every saved cell passes (a title is needed, a status is one of the four, effort is not negative).

Read once per save, inside its transaction, so every row of one save resolves against the same
people and objectives. Objectives resolve through ``core.strategy.resolve`` (code or title, any case
and spacing), as the import resolves them: a title that imports fine is accepted here too.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy.engine import Connection

from core.errors import EditRefused
from core.store import tables
from core.store.models import RAG_VALUES, WORK_STATUSES
from core.store.values import is_blank, name_key
from core.strategy import resolve
from core.work.rows import Cell, cell


class References:
    """Names and codes ↔ ids for one save."""

    def __init__(self, conn: Connection) -> None:
        people = tables.read_table(conn, "person")
        self.person_id: dict[str, int] = dict(zip(people["name_key"], people["id"]))
        self.person_name: dict[int, str] = dict(zip(people["id"], people["name"]))
        self.objectives = resolve.objectives(conn)
        teams = tables.read_table(conn, "team")
        self.teams: dict[int, str] = dict(zip(teams["id"], teams["name"]))

    def grid_value(self, column: str, row: pd.Series) -> Cell:
        """A database row's value as the grid shows it (an owner's name, an objective's code)."""
        if column == "owner":
            return cell(column, None if is_blank(row["owner_id"]) else self.person_name.get(row["owner_id"]))
        if column == "objective":
            return cell(column, None if is_blank(row["objective_id"]) else
                        self.objectives.code_of.get(row["objective_id"]))
        return cell(column, row[column])

    def to_db(self, column: str, value: object, where: str) -> object:
        """The value to store for one grid cell (``cell``'s output); EditRefused naming the row and column."""
        at = f"{where}, column '{column}'"
        if value is None:
            if column == "title":
                raise EditRefused(f"My work, {at}: a title is needed.")
            if column == "status":
                raise EditRefused(f"My work, {at}: choose a status ({', '.join(WORK_STATUSES)}).")
            return None
        if column == "owner":
            ident = self.person_id.get(name_key(value))
            if ident is None:
                raise EditRefused(f"My work, {at}: there is no person '{value}' (import them with a people sheet).")
            return int(ident)
        if column == "objective":
            found = self.objectives.id(value)
            if found is None:
                raise EditRefused(f"My work, {at}: there is no objective '{value}'.")
            return found
        if column == "status":
            text = str(value).strip().lower().replace(" ", "_")
            if text not in WORK_STATUSES:
                raise EditRefused(f"My work, {at}: '{value}' is not one of {', '.join(WORK_STATUSES)}.")
            return text
        if column == "reported_rag":
            text = str(value).strip().lower()
            if text not in RAG_VALUES:
                raise EditRefused(f"My work, {at}: '{value}' is not one of {', '.join(RAG_VALUES)}.")
            return text
        if column == "effort":
            if not isinstance(value, float) or value < 0:
                raise EditRefused(f"My work, {at}: '{value}' is not a number of zero or more.")
            return value
        if column == "due_at":
            if not isinstance(value, datetime):
                raise EditRefused(f"My work, {at}: '{value}' is not a date.")
            return value
        return value
