"""the questionnaire in sections; answer scales in a library; 差别权重

A questionnaire is an ordered list of sections routed to rater groups, holding questions
(a unit matrix, single or multiple choice, open text, number); the matrix items become
the items of a matrix question. Every existing campaign's items become one matrix in one
section asked of every group about every unit, which is what they were: frozen rules are
untouched (their hash still verifies) and read as that one matrix. Comments may answer
an open question. Answer scales become a library (seeded with the three built-in ones).
A campaign may weight a rater group differently per unit category.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

SCALES = [
    ("satisfaction5", "满意度五级（满意 … 不满意，另设不了解）", "satisfaction",
     [("满意", 100, True), ("比较满意", 80, True), ("基本满意", 60, True),
      ("不太满意", 40, False), ("不满意", 0, False), ("不了解", None, False)]),
    ("satisfaction3", "满意度三级（满意、基本满意、不满意，另设不了解）", "satisfaction",
     [("满意", 100, True), ("基本满意", 60, True), ("不满意", 0, False),
      ("不了解", None, False)]),
    ("appraisal4", "民主测评四档（优秀、称职、基本称职、不称职）", "appraisal",
     [("优秀", 95, False), ("称职", 80, False), ("基本称职", 65, False),
      ("不称职", 50, False)]),
]


def upgrade():
    op.create_table(
        'section',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('groups', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'],
                                name=op.f('fk_section_campaign_id_campaign'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_section')))
    op.create_index(op.f('ix_section_campaign_id'), 'section', ['campaign_id'])
    op.create_table(
        'question',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('section_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('label', sa.String(length=300), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('settings', sa.JSON(), nullable=False),
        sa.Column('routes', sa.JSON(), nullable=False),
        sa.Column('scheme', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'],
                                name=op.f('fk_question_campaign_id_campaign'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['section_id'], ['section.id'],
                                name=op.f('fk_question_section_id_section'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_question')))
    op.create_index(op.f('ix_question_campaign_id'), 'question', ['campaign_id'])
    op.create_index(op.f('ix_question_section_id'), 'question', ['section_id'])
    op.create_table(
        'answer_scale',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('scheme', sa.String(length=64), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_scale')),
        sa.UniqueConstraint('key', name=op.f('uq_answer_scale_key')))
    with op.batch_alter_table('item') as batch_op:
        batch_op.add_column(sa.Column('question_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_item_question_id'), ['question_id'])
        batch_op.create_foreign_key('fk_item_question_id_question', 'question',
                                    ['question_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('comment') as batch_op:
        batch_op.add_column(sa.Column('question_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_comment_question_id_question', 'question',
                                    ['question_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('campaign') as batch_op:
        batch_op.add_column(sa.Column('category_weights', sa.JSON(), nullable=True))

    connection = op.get_bind()
    scale = sa.table('answer_scale', sa.column('key'), sa.column('name'),
                     sa.column('options', sa.JSON()), sa.column('scheme'), sa.column('position'))
    connection.execute(scale.insert(), [
        {"key": key, "name": name, "scheme": scheme, "position": n,
         "options": [{"label": label, "score": score, "abstain": score is None,
                      "satisfied": satisfied} for label, score, satisfied in options]}
        for n, (key, name, scheme, options) in enumerate(SCALES, start=1)])
    section = sa.table('section', sa.column('id'), sa.column('campaign_id'),
                       sa.column('position'), sa.column('title'), sa.column('groups', sa.JSON()))
    question = sa.table('question', sa.column('id'), sa.column('campaign_id'),
                        sa.column('section_id'), sa.column('position'), sa.column('kind'),
                        sa.column('label'), sa.column('required'),
                        sa.column('options', sa.JSON()), sa.column('settings', sa.JSON()),
                        sa.column('routes', sa.JSON()), sa.column('scheme'))
    item = sa.table('item', sa.column('campaign_id'), sa.column('question_id'))
    campaigns = connection.execute(sa.text(
        "SELECT DISTINCT campaign_id FROM item ORDER BY campaign_id")).scalars().all()
    for campaign_id in campaigns:
        section_id = connection.execute(section.insert().values(
            campaign_id=campaign_id, position=1, title="", groups=[]).returning(
            section.c.id)).scalar_one()
        question_id = connection.execute(question.insert().values(
            campaign_id=campaign_id, section_id=section_id, position=1, kind="units",
            label="", required=True, options=[], settings={}, routes=[], scheme=None
        ).returning(question.c.id)).scalar_one()
        connection.execute(item.update().where(item.c.campaign_id == campaign_id)
                           .values(question_id=question_id))


def downgrade():
    with op.batch_alter_table('campaign') as batch_op:
        batch_op.drop_column('category_weights')
    with op.batch_alter_table('comment') as batch_op:
        batch_op.drop_constraint('fk_comment_question_id_question', type_='foreignkey')
        batch_op.drop_column('question_id')
    with op.batch_alter_table('item') as batch_op:
        batch_op.drop_constraint('fk_item_question_id_question', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_item_question_id'))
        batch_op.drop_column('question_id')
    op.drop_table('answer_scale')
    op.drop_index(op.f('ix_question_section_id'), table_name='question')
    op.drop_index(op.f('ix_question_campaign_id'), table_name='question')
    op.drop_table('question')
    op.drop_index(op.f('ix_section_campaign_id'), table_name='section')
    op.drop_table('section')
