"""the checklist plugin's tables: review findings, rectification items, closing snapshots

The plugin's first revision, in its own version table (``alembic_version_checklist``).
An installation that had these tables from the core (its revision 0003, before the
plugin owned them) keeps them and every row: they are adopted, not created again.

Revision ID: c0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = 'c0001'
down_revision = None
branch_labels = None
depends_on = None

TABLES = ('checklist_entry', 'checklist_snapshot', 'rectification_item')


def upgrade():
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if set(TABLES) <= existing:
        return  # made by the core's revision 0003: adopted as they are
    op.create_table('checklist_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('checklist', sa.String(length=64), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('item_text', sa.String(length=500), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('deduction', sa.Float(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=False),
    sa.Column('evidence_name', sa.String(length=200), nullable=True),
    sa.Column('evidence_file', sa.String(length=80), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('evidence_type', sa.String(length=100), nullable=True),
    sa.CheckConstraint("result IN ('符合', '基本符合', '不符合')", name=op.f('ck_checklist_entry_result_known')),
    sa.CheckConstraint('deduction >= 0', name=op.f('ck_checklist_entry_deduction_not_negative')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_checklist_entry_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'], name=op.f('fk_checklist_entry_reviewer_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_checklist_entry_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_entry')),
    sa.UniqueConstraint('campaign_id', 'unit_id', 'checklist', 'item', name=op.f('uq_checklist_entry_campaign_id'))
    )
    with op.batch_alter_table('checklist_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_entry_unit_id'), ['unit_id'], unique=False)

    op.create_table('checklist_snapshot',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_checklist_snapshot_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_checklist_snapshot'))
    )
    op.create_table('rectification_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('measure', sa.Text(), nullable=False),
    sa.Column('responsible', sa.String(length=100), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('evidence_name', sa.String(length=200), nullable=True),
    sa.Column('evidence_file', sa.String(length=80), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('evidence_type', sa.String(length=100), nullable=True),
    sa.CheckConstraint("status IN ('未开始', '整改中', '已完成')", name=op.f('ck_rectification_item_status_known')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_rectification_item_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['checklist_entry.id'], name=op.f('fk_rectification_item_entry_id_checklist_entry'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_rectification_item_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_item')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_rectification_item_entry_id'))
    )
    with op.batch_alter_table('rectification_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_item_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_item_unit_id'), ['unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('rectification_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_item_unit_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_item_campaign_id'))

    op.drop_table('rectification_item')
    op.drop_table('checklist_snapshot')
    with op.batch_alter_table('checklist_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_entry_unit_id'))

    op.drop_table('checklist_entry')
