"""team tracker: in-app field edits (kept against uploads) and a per-team stale threshold

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 04:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('fieldedit',
    sa.Column('work_item_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('base', sa.JSON(), nullable=True),
    sa.Column('edited_at', sa.DateTime(), nullable=False),
    sa.Column('edited_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['work_item_id'], ['workitem.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('work_item_id', 'field', name='uq_fieldedit_item_field')
    )
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stale_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('stale_days')
    op.drop_table('fieldedit')
