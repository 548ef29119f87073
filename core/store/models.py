"""The whole domain model (DESIGN.md), as SQLModel tables.

Dates and times are stored *naive on purpose*: spreadsheet dates are wall-clock
values with no zone, and system stamps (import time, audit time) are naive UTC
from :func:`utcnow`. sqlmodel 0.0.50 maps plain ``datetime`` to a UTC type that
rejects naive values, so every datetime column declares ``sa.DateTime()``.

Imported entity tables carry ``created_batch_id`` / ``last_batch_id`` so that an
import can be undone exactly and an undo can see when a later batch touched a row.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

WORK_STATUSES = ("todo", "in_progress", "blocked", "done")
STATUS_LABELS = {"todo": "To do", "in_progress": "In progress", "blocked": "Blocked", "done": "Done"}  # as people say them
RAG_VALUES = ("green", "amber", "red")
ROLES = ("executive", "manager", "admin")


def utcnow() -> datetime:
    """Naive UTC now (see module docstring)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def DateTimeField(**kw: Any) -> Any:  # noqa: N802 - reads like a type
    if "default_factory" not in kw:
        kw.setdefault("default", None)
    return Field(sa_type=sa.DateTime(), **kw)


def JsonField(**kw: Any) -> Any:  # noqa: N802
    if "default_factory" not in kw:
        kw.setdefault("default", None)
    return Field(sa_type=sa.JSON(), **kw)


def BatchFk(**kw: Any) -> Any:  # noqa: N802
    """Not indexed: only undo looks rows up by batch, and index upkeep cost 30% of a 100k-row import."""
    return Field(default=None, foreign_key="importbatch.id", **kw)


class Team(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True, index=True)
    stale_days: Optional[int] = None  # My work lists open items not updated for this many days (None: 14)
    created_batch_id: Optional[int] = BatchFk()
    last_batch_id: Optional[int] = BatchFk()


class Person(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True, index=True)
    email: Optional[str] = None
    role_title: Optional[str] = None
    team_id: Optional[int] = Field(default=None, foreign_key="team.id", index=True)
    created_batch_id: Optional[int] = BatchFk()
    last_batch_id: Optional[int] = BatchFk()


class Objective(SQLModel, table=True):
    """Pillar → objective → key result, through ``parent_id``."""

    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    title: str
    description: Optional[str] = None
    parent_id: Optional[int] = Field(default=None, foreign_key="objective.id", index=True)
    owner_id: Optional[int] = Field(default=None, foreign_key="person.id", index=True)
    owner_text: Optional[str] = None  # as written in the sheet: shows missing or shared owners
    period: Optional[str] = None
    weight: Optional[float] = None
    reported_rag: Optional[str] = None  # what the owner reports (green/amber/red), set against measured status
    created_batch_id: Optional[int] = BatchFk()
    last_batch_id: Optional[int] = BatchFk()


class Kpi(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    name: str
    unit: Optional[str] = None
    direction: Optional[str] = None  # "higher" or "lower" is better
    baseline: Optional[float] = None
    baseline_date: Optional[date] = None
    target: Optional[float] = None
    target_date: Optional[date] = None
    tolerance: Optional[float] = None
    owner_id: Optional[int] = Field(default=None, foreign_key="person.id", index=True)
    owner_text: Optional[str] = None
    objective_id: Optional[int] = Field(default=None, foreign_key="objective.id", index=True)
    protocol: Optional[str] = None  # what the owner does when the KPI signals (editable per KPI)
    baseline_periods: Optional[int] = None  # XmR baseline window; None: the default (12)
    created_batch_id: Optional[int] = BatchFk()
    last_batch_id: Optional[int] = BatchFk()


class KpiReading(SQLModel, table=True):
    """One value per KPI, period and segment; segment '' is the KPI's headline (national, total, all) level."""

    __table_args__ = (sa.UniqueConstraint("kpi_id", "period", "segment", name="uq_kpireading_kpi_period_segment"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    kpi_id: int = Field(foreign_key="kpi.id", index=True)
    period: date
    value: float
    segment: str = Field(default="", sa_column_kwargs={"server_default": ""})  # region, site, team…; '' = headline
    source_file: Optional[str] = None  # where the reading came from, for drill-downs
    source_row: Optional[int] = None
    created_batch_id: Optional[int] = BatchFk()
    last_batch_id: Optional[int] = BatchFk()


class Incentive(SQLModel, table=True):
    """A team is measured (paid, ranked) on a KPI."""

    __table_args__ = (sa.UniqueConstraint("team_id", "kpi_id", name="uq_incentive_team_kpi"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    kpi_id: int = Field(foreign_key="kpi.id", index=True)
    weight: Optional[float] = None
    created_batch_id: Optional[int] = BatchFk()
    last_batch_id: Optional[int] = BatchFk()


class ExpectedEffect(SQLModel, table=True):
    """An objective or initiative is expected to move a KPI's raw value up or down."""

    __table_args__ = (sa.UniqueConstraint("objective_id", "kpi_id", name="uq_effect_objective_kpi"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    objective_id: int = Field(foreign_key="objective.id", index=True)
    kpi_id: int = Field(foreign_key="kpi.id", index=True)
    effect: str  # "up" or "down"
    note: Optional[str] = None
    created_batch_id: Optional[int] = BatchFk()
    last_batch_id: Optional[int] = BatchFk()


class WorkItem(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("source", "external_key", name="uq_workitem_source_key"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    source: str  # indexed through the unique (source, external_key) constraint
    external_key: str
    title: str
    item_type: Optional[str] = None  # task, ticket, milestone, change, request, project
    raw_status: Optional[str] = None
    status: Optional[str] = None  # WORK_STATUSES; indexed with team_id (ix_workitem_team_status)
    reported_rag: Optional[str] = None
    assessed_rag: Optional[str] = None
    rag_note: Optional[str] = None
    priority: Optional[str] = None
    description: Optional[str] = None
    owner_id: Optional[int] = Field(default=None, foreign_key="person.id", index=True)
    team_id: Optional[int] = Field(default=None, foreign_key="team.id")  # see ix_workitem_team_status
    objective_id: Optional[int] = Field(default=None, foreign_key="objective.id", index=True)
    created_at: Optional[datetime] = DateTimeField()
    started_at: Optional[datetime] = DateTimeField()
    due_at: Optional[datetime] = DateTimeField()
    done_at: Optional[datetime] = DateTimeField()
    updated_at: Optional[datetime] = DateTimeField()
    effort: Optional[float] = None
    depends_on: Optional[str] = None
    attributes: Optional[dict] = JsonField()
    source_file: Optional[str] = None
    source_sheet: Optional[str] = None
    source_row: Optional[int] = None
    row_hash: Optional[str] = None
    created_batch_id: Optional[int] = BatchFk()
    last_batch_id: Optional[int] = BatchFk()


class StatusEvent(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    work_item_id: int = Field(foreign_key="workitem.id")  # see ix_statusevent_item_at
    at: datetime = DateTimeField()
    raw_status: Optional[str] = None
    status: Optional[str] = None
    source_row: Optional[int] = None
    batch_id: Optional[int] = BatchFk()


class FieldEdit(SQLModel, table=True):
    """A tracker field changed in the app, with what the team's file said before (``base``, as the import reads it).

    An upload that still carries ``base`` did not change the field, so the in-app value stays; one that carries
    a third value is a conflict the user resolves (core.importing.sync). Deleted with its item.
    """

    __table_args__ = (sa.UniqueConstraint("work_item_id", "field", name="uq_fieldedit_item_field"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    work_item_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("workitem.id", ondelete="CASCADE"),
                                                  nullable=False))
    field: str  # a compared workitem column (plan.TARGETS["work_items"].columns)
    base: Optional[dict] = JsonField()  # {"v": value}: names as name keys, objectives as codes, dates as ISO text
    edited_at: datetime = DateTimeField(default_factory=utcnow)
    edited_by: Optional[str] = None


class Dependency(SQLModel, table=True):
    """A work item waits on another item (by key, resolved to an id when known) or a team."""

    id: Optional[int] = Field(default=None, primary_key=True)
    work_item_id: int = Field(foreign_key="workitem.id", index=True)
    depends_on_key: Optional[str] = None
    depends_on_item_id: Optional[int] = Field(default=None, foreign_key="workitem.id", index=True)
    depends_on_team_id: Optional[int] = Field(default=None, foreign_key="team.id")
    batch_id: Optional[int] = BatchFk()


class ImportBatch(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    group_key: str = Field(index=True)  # batches committed together (sheets of one workbook)
    file_name: str
    file_sha256: str = Field(index=True)
    file_format: Optional[str] = None
    sheet: Optional[str] = None
    kind: str
    source: Optional[str] = Field(default=None, index=True)
    profile_name: Optional[str] = None
    mapping: Optional[dict] = JsonField()
    options: Optional[dict] = JsonField()
    user: Optional[str] = None
    created_at: datetime = DateTimeField(default_factory=utcnow)
    state: str = "committed"  # committed | undone
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    status_events: int = 0
    seconds: Optional[float] = None
    undone_at: Optional[datetime] = DateTimeField()
    undone_by: Optional[str] = None


class ImportIssue(SQLModel, table=True):
    """A problem found in a row; rejected rows keep their original values in ``raw``."""

    id: Optional[int] = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="importbatch.id", index=True)
    severity: str = "error"  # error: row rejected; warning: row kept
    sheet: Optional[str] = None
    row: Optional[int] = None
    column: Optional[str] = None
    value: Optional[str] = None
    message: str
    raw: Optional[dict] = JsonField()


class ChangeLog(SQLModel, table=True):
    """Before-image of every row a batch updated or deleted (inserts are found by batch id)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="importbatch.id", index=True)
    table_name: str
    row_id: int
    op: str  # update | delete
    before: dict = JsonField()


class MappingProfile(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    kind: str
    headers: list = JsonField(default_factory=list)
    mapping: dict = JsonField(default_factory=dict)  # field -> column header
    value_maps: dict = JsonField(default_factory=dict)  # "status"/"reported_rag" -> {raw: canonical}
    options: dict = JsonField(default_factory=dict)
    created_by: Optional[str] = None
    created_at: datetime = DateTimeField(default_factory=utcnow)


class AlignmentRule(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    field: str
    pattern: str
    match_type: str = "equals"  # equals | contains | regex
    source: Optional[str] = None
    objective_id: int = Field(foreign_key="objective.id", index=True)
    active: bool = True
    created_by: Optional[str] = None
    created_at: datetime = DateTimeField(default_factory=utcnow)


class Signal(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("dedupe_key", name="uq_signal_dedupe_key"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str  # kpi_variance | green_but_red | stale | overdue_dependency
    entity: str
    entity_id: int
    dedupe_key: Optional[str] = None  # the same finding never signals twice (uq_signal_dedupe_key)
    period: Optional[date] = None
    rule: Optional[str] = None
    batch_id: Optional[int] = BatchFk()
    owner_id: Optional[int] = Field(default=None, foreign_key="person.id", index=True)
    protocol: Optional[str] = None
    state: str = "open"  # open | acknowledged | resolved
    message: Optional[str] = None
    opened_at: datetime = DateTimeField(default_factory=utcnow)
    closed_at: Optional[datetime] = DateTimeField()
    log: list = JsonField(default_factory=list)


class AuditEvent(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = DateTimeField(default_factory=utcnow, index=True)
    user: Optional[str] = Field(default=None, index=True)
    action: str
    entity: str
    entity_id: Optional[int] = None
    before: Optional[dict] = JsonField()
    after: Optional[dict] = JsonField()
    detail: Optional[str] = None


class User(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    email: Optional[str] = None
    display_name: Optional[str] = None
    role: str = "executive"  # ROLES
    team_id: Optional[int] = Field(default=None, foreign_key="team.id")
    scope_own_team: bool = False
    password_hash: Optional[str] = None
    failed_logins: int = 0
    locked_until: Optional[datetime] = DateTimeField()
    lock_level: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # lock n lasts 2^(n-1) × the first
    active: bool = True
    created_at: datetime = DateTimeField(default_factory=utcnow)
    # Bumped by every change of role, team, scope, password or active: each rerun compares it with the session's.
    auth_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    sessions_valid_after: Optional[datetime] = DateTimeField()  # a password reset or a switch-off ends older sessions


class PersonAlias(SQLModel, table=True):
    """Another name key of a person, confirmed by an admin (core.people.merges): the next import maps it by itself.

    ``merged_id`` is the person row the merge retired (its own key is this alias; no row points at it any more);
    blank for an extra key, such as the merged person's e-mail. ``tables.name_lookup`` reads these. Undoing the
    merge's batch removes the rows it created (a trigger on importbatch, migration 0009: undo deletes inserted rows
    of the entity tables only).
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    name_key: str = Field(unique=True, index=True)
    name: str  # as it was written, for the People page
    person_id: int = Field(foreign_key="person.id", index=True)
    merged_id: Optional[int] = Field(default=None, foreign_key="person.id")
    created_batch_id: Optional[int] = BatchFk()
    last_batch_id: Optional[int] = BatchFk()


class TeamAlias(SQLModel, table=True):
    """Another name key of a team ("ServiceDesk" for "Service Desk"), confirmed by an admin; as PersonAlias."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name_key: str = Field(unique=True, index=True)
    name: str
    team_id: int = Field(foreign_key="team.id", index=True)
    merged_id: Optional[int] = Field(default=None, foreign_key="team.id")
    created_batch_id: Optional[int] = BatchFk()
    last_batch_id: Optional[int] = BatchFk()


class ViewSnapshot(SQLModel, table=True):
    """A view computed once for a data version and scope and kept, so that a cold page reads one row instead of
    100,000 (core.store.snapshots). Derived data: never audited, never part of a batch, and rebuilt from the raw
    tables whenever it is missing; a row of an older data version is never read."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    scope: str = ""  # the team a scoped viewer reads; "" for everything
    params: str = ""  # the view's arguments as canonical JSON
    data_version: int
    payload: bytes = Field(sa_type=sa.LargeBinary())
    seconds: float  # what computing it took, so the saving is visible
    computed_at: datetime = DateTimeField(default_factory=utcnow)

    __table_args__ = (sa.UniqueConstraint("name", "scope", "params", name="uq_viewsnapshot_view"),)


class AppMeta(SQLModel, table=True):
    """Key/value settings; ``data_version`` is bumped by every commit so caches refresh."""

    key: str = Field(primary_key=True)
    value: str


# Declared here as well as in migration 0002 so that autogenerate stays quiet.
sa.Index("ix_statusevent_item_at", StatusEvent.__table__.c.work_item_id, StatusEvent.__table__.c.at)
sa.Index("ix_workitem_team_status", WorkItem.__table__.c.team_id, WorkItem.__table__.c.status)
