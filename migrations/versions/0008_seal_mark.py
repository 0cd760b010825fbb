"""seals are found from the database, not from one process's timer

``seal_mark`` keeps, per campaign, how many ballots it had when it was last sealed, and
when. Every web process looks for campaigns with more ballots than that and seals them,
so a ballot stored just before its worker restarted or died is still sealed within the
interval.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'seal_mark',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('ballots', sa.Integer(), nullable=False),
        sa.Column('sealed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'],
                                name=op.f('fk_seal_mark_campaign_id_campaign'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_seal_mark')),
    )


def downgrade():
    op.drop_table('seal_mark')
