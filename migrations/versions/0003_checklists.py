"""checklists: their tables now belong to the checklist plugin

This revision used to create ``checklist_entry``, ``rectification_item`` and
``checklist_snapshot``. The checklist plugin owns them now, with migrations of its own
(``evalplatform_checklist/migrations``, version table ``alembic_version_checklist``),
whose first revision adopts the tables where this revision had already made them and
creates them elsewhere. Kept, empty, so that the core's history stays one line.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:28:51.015008

"""

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
