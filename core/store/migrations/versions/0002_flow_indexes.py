"""indexes for flow queries (status history by item and time; items by team and status)

Revision ID: 0002
Revises: 0001
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_statusevent_item_at", "statusevent", ["work_item_id", "at"])
    op.create_index("ix_workitem_team_status", "workitem", ["team_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_workitem_team_status", table_name="workitem")
    op.drop_index("ix_statusevent_item_at", table_name="statusevent")
