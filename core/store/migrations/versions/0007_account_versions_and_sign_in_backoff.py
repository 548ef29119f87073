"""accounts: a version bumped by every change of rights, the time before which sessions are void, the lock level

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auth_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('sessions_valid_after', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('lock_level', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('lock_level')
        batch_op.drop_column('sessions_valid_after')
        batch_op.drop_column('auth_version')
