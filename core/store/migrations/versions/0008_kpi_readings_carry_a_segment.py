"""kpi readings carry a segment (region, site, team…): '' is the KPI's headline level

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:20:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('kpireading', schema=None) as batch_op:
        batch_op.add_column(sa.Column('segment', sa.String(), nullable=False, server_default=''))
        batch_op.drop_constraint('uq_kpireading_kpi_period', type_='unique')
        batch_op.create_unique_constraint('uq_kpireading_kpi_period_segment', ['kpi_id', 'period', 'segment'])


def downgrade() -> None:
    with op.batch_alter_table('kpireading', schema=None) as batch_op:
        batch_op.drop_constraint('uq_kpireading_kpi_period_segment', type_='unique')
        batch_op.execute("DELETE FROM kpireading WHERE segment <> ''")
        batch_op.create_unique_constraint('uq_kpireading_kpi_period', ['kpi_id', 'period'])
        batch_op.drop_column('segment')
