"""answers live in the ballot row: answer rows are packed into ballot.cells and dropped

A ballot's answers were stored twice: as answer rows and packed into ``ballot.cells``
(one signed byte per unit × item in the frozen rules' order, -1 for none). The packed
form becomes the record: one row per ballot is what a submission writes, what scoring
reads, and what the PostgreSQL anonymity seal rewrites (docs/security.md).

Ballots stored before cells existed are packed here from their answer rows. Downgrading
unpacks every ballot's cells back into answer rows.

Revision ID: 0006
Revises: 0005
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

NO_ANSWER = -1


def _rules(bind):
    """The frozen rules of every campaign that has ballots, by campaign id."""
    rows = bind.execute(sa.text(
        "SELECT id, rules FROM campaign WHERE id IN (SELECT DISTINCT campaign_id FROM ballot)"))
    found = {}
    for campaign_id, rules in rows:
        if rules is None:
            raise RuntimeError(f"campaign {campaign_id} has ballots but no frozen rules")
        rules = json.loads(rules) if isinstance(rules, str) else rules
        found[campaign_id] = ([u["id"] for u in rules["units"]], [i["id"] for i in rules["items"]])
    return found


def upgrade():
    bind = op.get_bind()
    structure = _rules(bind)
    pending = bind.execute(sa.text(
        "SELECT id, campaign_id FROM ballot WHERE cells IS NULL")).all()
    for ballot_id, campaign_id in pending:
        units, items = structure[campaign_id]
        u_index = {u: k for k, u in enumerate(units)}
        i_index = {i: k for k, i in enumerate(items)}
        cells = [NO_ANSWER] * (len(units) * len(items))
        for unit_id, item_id, option in bind.execute(sa.text(
                "SELECT unit_id, item_id, option FROM answer WHERE ballot_id = :b"),
                {"b": ballot_id}):
            if unit_id in u_index and item_id in i_index:
                cells[u_index[unit_id] * len(items) + i_index[item_id]] = option
        bind.execute(sa.text("UPDATE ballot SET cells = :c WHERE id = :b"),
                     {"c": bytes(c & 0xFF for c in cells), "b": ballot_id})
    op.drop_table('answer')
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.alter_column('cells', existing_type=sa.LargeBinary(), nullable=False)


def downgrade():
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.alter_column('cells', existing_type=sa.LargeBinary(), nullable=True)
    op.create_table(
        'answer',
        sa.Column('ballot_id', sa.BigInteger(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('option', sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'],
                                name=op.f('fk_answer_ballot_id_ballot'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_answer_item_id_item'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_answer_unit_id_unit'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('ballot_id', 'item_id', 'unit_id', name=op.f('pk_answer')),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    structure = _rules(bind)
    answer = sa.table('answer', sa.column('ballot_id'), sa.column('item_id'),
                      sa.column('unit_id'), sa.column('option'))
    for ballot_id, campaign_id, cells in bind.execute(sa.text(
            "SELECT id, campaign_id, cells FROM ballot")).all():
        units, items = structure[campaign_id]
        rows = []
        for k, byte in enumerate(bytes(cells)):
            option = byte - 256 if byte > 127 else byte
            if option != NO_ANSWER:
                rows.append({"ballot_id": ballot_id, "unit_id": units[k // len(items)],
                             "item_id": items[k % len(items)], "option": option})
        if rows:
            bind.execute(answer.insert(), rows)
