"""the built-in answer scales live in the code; rows hold only the admins' edits

0011 seeded the three built-in scales as rows. The library now shows a built-in scale
from the code (in the reader's language) until an admin edits it, which stores it under
its key: the seeded rows, which nobody could have edited yet, go.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text("DELETE FROM answer_scale WHERE key IS NOT NULL"))


def downgrade():
    pass  # the built-in scales are read from the code either way
