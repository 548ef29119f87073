"""views kept per data version and scope (core.store.snapshots), so a cold page reads one row, not 100,000

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('viewsnapshot',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
                    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
                    sa.Column('params', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
                    sa.Column('data_version', sa.Integer(), nullable=False),
                    sa.Column('payload', sa.LargeBinary(), nullable=False),
                    sa.Column('seconds', sa.Float(), nullable=False),
                    sa.Column('computed_at', sa.DateTime(), nullable=False),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('name', 'scope', 'params', name='uq_viewsnapshot_view'))


def downgrade() -> None:
    op.drop_table('viewsnapshot')
