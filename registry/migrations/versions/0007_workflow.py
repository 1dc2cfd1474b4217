"""How authorities work: drafts, approval by a second account, invitations, country administrators,
reconfirmation reminders, and questions between countries.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('country_policies',
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('requires_approval', sa.Boolean(), nullable=False),
    sa.Column('changed_by', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['accounts.id'], name=op.f('fk_country_policies_changed_by_accounts')),
    sa.PrimaryKeyConstraint('country', name=op.f('pk_country_policies'))
    )
    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('section', sa.String(length=16), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('base_seq', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('returned_by', sa.Integer(), nullable=True),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['accounts.id'], name=op.f('fk_drafts_created_by_accounts')),
    sa.ForeignKeyConstraint(['returned_by'], ['accounts.id'], name=op.f('fk_drafts_returned_by_accounts')),
    sa.ForeignKeyConstraint(['submitted_by'], ['accounts.id'], name=op.f('fk_drafts_submitted_by_accounts')),
    sa.ForeignKeyConstraint(['updated_by'], ['accounts.id'], name=op.f('fk_drafts_updated_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts')),
    sa.UniqueConstraint('country', 'section', name=op.f('uq_drafts_country_section'))
    )
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_invitations_account_id_accounts')),
    sa.ForeignKeyConstraint(['created_by'], ['accounts.id'], name=op.f('fk_invitations_created_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_account_id'), ['account_id'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('section', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('asked_by_country', sa.String(length=2), nullable=True),
    sa.Column('asked_by', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('public_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['asked_by'], ['accounts.id'], name=op.f('fk_questions_asked_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_asked_by_country'), ['asked_by_country'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_country'), ['country'], unique=False)

    op.create_table('question_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('author_country', sa.String(length=2), nullable=True),
    sa.Column('authority', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_question_messages_account_id_accounts')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_messages_question_id_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_messages'))
    )
    with op.batch_alter_table('question_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_messages_question_id'), ['question_id'], unique=False)

    op.create_table('reminders',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['versions.seq'], name=op.f('fk_reminders_seq_versions')),
    sa.PrimaryKeyConstraint('seq', 'kind', name=op.f('pk_reminders'))
    )
    # Plain ALTER TABLE … ADD COLUMN on SQLite too (a constant default, a nullable reference): batch mode
    # would copy accounts and versions, which other tables' rows reference.
    op.add_column("accounts", sa.Column("admin", sa.Boolean(), server_default="0", nullable=False))
    op.add_column("versions", sa.Column("approved_by", sa.String(length=200), nullable=True))
    if op.get_bind().dialect.name == "sqlite":  # which alters no constraint, but takes one in ADD COLUMN
        op.execute("ALTER TABLE versions ADD COLUMN approved_account_id INTEGER "
                   "CONSTRAINT fk_versions_approved_account_id_accounts REFERENCES accounts (id)")
    else:
        op.add_column("versions", sa.Column("approved_account_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_versions_approved_account_id_accounts"), "versions", "accounts",
                              ["approved_account_id"], ["id"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("fk_versions_approved_account_id_accounts"), "versions", type_="foreignkey")
    op.drop_column("versions", "approved_account_id")
    op.drop_column("versions", "approved_by")
    op.drop_column("accounts", "admin")
    op.drop_table('reminders')
    with op.batch_alter_table('question_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_messages_question_id'))

    op.drop_table('question_messages')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_country'))
        batch_op.drop_index(batch_op.f('ix_questions_asked_by_country'))

    op.drop_table('questions')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_account_id'))

    op.drop_table('invitations')
    op.drop_table('drafts')
    op.drop_table('country_policies')
