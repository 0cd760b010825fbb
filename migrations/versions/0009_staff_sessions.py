"""staff sessions kept on the server

A signed-in staff browser is a ``staff_session`` row (the SHA-256 of the cookie's random
token, the account, a keyed hash of the browser, when it started), so that log-out, a
password change, a change of role or a deactivation ends it for good — a copied cookie
stops working. Sessions signed in before this revision end: their cookies hold account
ids, which no longer sign anyone in.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staff_session',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('binding', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_staff_session_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_staff_session')),
    )
    with op.batch_alter_table('staff_session') as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_session_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_session') as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_session_user_id'))
    op.drop_table('staff_session')
