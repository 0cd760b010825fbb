"""published results keep what their bootstrap decided

``result_snapshot.bootstrap`` holds the SHA-256 of the ballots the bootstrap drew from
and, per scheme and unit, the intervals and flag it produced. Reports and results pages
of a closed campaign reuse it instead of resampling the same ballots again. Snapshots
taken before this revision have none: their campaigns' results are bootstrapped as
before.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('result_snapshot') as batch_op:
        batch_op.add_column(sa.Column('bootstrap', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('result_snapshot') as batch_op:
        batch_op.drop_column('bootstrap')
