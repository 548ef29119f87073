"""people and teams keep aliases: name keys an admin confirmed as the same person or team (core.people.merges)

Undoing a merge deletes the aliases its batch created like any other inserted row (core.importing.undo.DELETE_ORDER),
so the alias tables are left exactly as they were.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ALIASES = (('personalias', 'person_id', 'person'), ('teamalias', 'team_id', 'team'))


def upgrade() -> None:
    for name, column, target in ALIASES:
        op.create_table(name,
                        sa.Column('id', sa.Integer(), nullable=False),
                        sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
                        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
                        sa.Column(column, sa.Integer(), nullable=False),
                        sa.Column('merged_id', sa.Integer(), nullable=True),
                        sa.Column('created_batch_id', sa.Integer(), nullable=True),
                        sa.Column('last_batch_id', sa.Integer(), nullable=True),
                        sa.ForeignKeyConstraint([column], [f'{target}.id'], ),
                        sa.ForeignKeyConstraint(['merged_id'], [f'{target}.id'], ),
                        sa.ForeignKeyConstraint(['created_batch_id'], ['importbatch.id'], ),
                        sa.ForeignKeyConstraint(['last_batch_id'], ['importbatch.id'], ),
                        sa.PrimaryKeyConstraint('id'))
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{name}_name_key'), ['name_key'], unique=True)
            batch_op.create_index(batch_op.f(f'ix_{name}_{column}'), [column], unique=False)


def downgrade() -> None:
    for name, column, _target in reversed(ALIASES):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{name}_{column}'))
            batch_op.drop_index(batch_op.f(f'ix_{name}_name_key'))
        op.drop_table(name)
