"""people and teams keep aliases: name keys an admin confirmed as the same person or team (core.people.merges)

Undo deletes the rows a batch inserted into the entity tables only (core.importing.commit.DELETE_ORDER), so the
trigger created here removes the aliases a merge created when its batch is marked undone: undoing a merge
leaves the alias tables exactly as they were.

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
TRIGGER = 'importbatch_undone_drops_aliases'
FUNCTION = 'throughline_drop_undone_aliases'
DELETES = ' '.join(f'DELETE FROM {name} WHERE created_batch_id = NEW.id;' for name, _c, _t in ALIASES)


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
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ '
                   f'BEGIN {DELETES} RETURN NULL; END $$')
        op.execute(f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF state ON importbatch FOR EACH ROW "
                   f"WHEN (NEW.state = 'undone') EXECUTE FUNCTION {FUNCTION}()")
    else:
        op.execute(f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF state ON importbatch FOR EACH ROW "
                   f"WHEN NEW.state = 'undone' BEGIN {DELETES} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP TRIGGER IF EXISTS {TRIGGER} ON importbatch')
        op.execute(f'DROP FUNCTION IF EXISTS {FUNCTION}()')
    else:
        op.execute(f'DROP TRIGGER IF EXISTS {TRIGGER}')
    for name, column, _target in reversed(ALIASES):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{name}_{column}'))
            batch_op.drop_index(batch_op.f(f'ix_{name}_name_key'))
        op.drop_table(name)
