"""the example plugin's inspection notes

Revision ID: e0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "e0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "example_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE",
                                name=op.f("fk_example_note_campaign_id_campaign")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE",
                                name=op.f("fk_example_note_unit_id_unit")),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"], ondelete="SET NULL",
                                name=op.f("fk_example_note_author_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_note")),
    )
    with op.batch_alter_table("example_note") as batch_op:
        batch_op.create_index(batch_op.f("ix_example_note_campaign_id"), ["campaign_id"])


def downgrade():
    with op.batch_alter_table("example_note") as batch_op:
        batch_op.drop_index(batch_op.f("ix_example_note_campaign_id"))
    op.drop_table("example_note")
