"""Subscriptions (WebSub callbacks and e-mail alerts) with their cursors into the changes log,
and the subscription requests kept to limit their rate.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('subscription_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('target_hash', sa.String(length=64), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_requests'))
    )
    with op.batch_alter_table('subscription_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_requests_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscription_requests_remote_addr'), ['remote_addr'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscription_requests_target_hash'), ['target_hash'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('topic', sa.String(length=300), nullable=False),
    sa.Column('callback', sa.String(length=2000), nullable=True),
    sa.Column('secret', sa.String(length=200), nullable=True),
    sa.Column('lease_seconds', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('renew_at', sa.DateTime(), nullable=True),
    sa.Column('pending_mode', sa.String(length=12), nullable=True),
    sa.Column('pending_secret', sa.String(length=200), nullable=True),
    sa.Column('pending_lease_seconds', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=320), nullable=True),
    sa.Column('countries', sa.Text(), nullable=False),
    sa.Column('sections', sa.Text(), nullable=False),
    sa.Column('substances', sa.Text(), nullable=False),
    sa.Column('cadence', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=True),
    sa.Column('cursor', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('failing_since', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('last_delivered_at', sa.DateTime(), nullable=True),
    sa.Column('delivered', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('token', name=op.f('uq_subscriptions_token'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_state'), ['state'], unique=False)
        batch_op.create_index('ix_subscriptions_topic_callback', ['topic', 'callback'], unique=False)



def downgrade():
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriptions_topic_callback')
        batch_op.drop_index(batch_op.f('ix_subscriptions_state'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_address'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('subscription_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_requests_target_hash'))
        batch_op.drop_index(batch_op.f('ix_subscription_requests_remote_addr'))
        batch_op.drop_index(batch_op.f('ix_subscription_requests_at'))

    op.drop_table('subscription_requests')
