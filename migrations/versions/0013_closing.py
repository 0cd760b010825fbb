"""a campaign may be closing: no new code entries, ballots already opened still accepted

``campaign.closes_at``: when a campaign whose close was asked with a grace period closes
(services.campaigns.schedule_close); NULL otherwise.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign') as batch_op:
        batch_op.add_column(sa.Column('closes_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('campaign') as batch_op:
        batch_op.drop_column('closes_at')
