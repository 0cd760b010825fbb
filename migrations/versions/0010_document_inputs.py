"""documents remember what they were made from

``document.inputs_sha256``: the SHA-256 of everything a document shows (results,
letterhead, plugins' data, the day, its kind and unit). Asking again for the same
document — a unit's report downloaded twice, the API's bulletin fetched in a loop —
serves the one already made instead of storing another.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document') as batch_op:
        batch_op.add_column(sa.Column('inputs_sha256', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_document_inputs_sha256'), ['inputs_sha256'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('document') as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_inputs_sha256'))
        batch_op.drop_column('inputs_sha256')
