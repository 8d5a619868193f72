"""ransomware: incident reports, their victims kept apart, one-time report links

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ransomware_report_attempts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ransomware_report_attempts'))
    )
    with op.batch_alter_table('ransomware_report_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ransomware_report_attempts_at'), ['at'], unique=False)
        batch_op.create_index('ix_ransomware_report_attempts_ip_at', ['ip', 'at'], unique=False)

    op.create_table('ransomware_incidents',
    sa.Column('discovered', sa.Date(), nullable=False),
    sa.Column('family_ref', sa.String(length=300), nullable=True),
    sa.Column('family_name', sa.String(length=250), nullable=False),
    sa.Column('access_vector', sa.String(length=32), nullable=False),
    sa.Column('cve', sa.String(length=32), nullable=True),
    sa.Column('sector', sa.String(length=200), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('size_band', sa.String(length=16), nullable=True),
    sa.Column('systems_affected', sa.Integer(), nullable=True),
    sa.Column('data_stolen', sa.Boolean(), nullable=True),
    sa.Column('leak_listed', sa.Boolean(), nullable=True),
    sa.Column('demand_amount', sa.BigInteger(), nullable=True),
    sa.Column('demand_currency', sa.String(length=3), nullable=True),
    sa.Column('paid', sa.Boolean(), nullable=True),
    sa.Column('paid_amount', sa.BigInteger(), nullable=True),
    sa.Column('wallets', sa.JSON(), nullable=False),
    sa.Column('negotiation_contact', sa.String(length=500), nullable=False),
    sa.Column('decryptor_used', sa.String(length=200), nullable=False),
    sa.Column('recovery_days', sa.Integer(), nullable=True),
    sa.Column('loss_band', sa.String(length=16), nullable=True),
    sa.Column('reported_to', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('via_link', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('pap', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'RED', name='pap', native_enum=False, length=8), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ransomware_incidents_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_ransomware_incidents_owner_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ransomware_incidents'))
    )
    with op.batch_alter_table('ransomware_incidents', schema=None) as batch_op:
        batch_op.create_index('ix_ransomware_incidents_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_incidents_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_incidents_discovered'), ['discovered'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_incidents_family_ref'), ['family_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_incidents_owner_org_id'), ['owner_org_id'], unique=False)

    op.create_table('ransomware_incident_victims',
    sa.Column('incident_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('contact', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['ransomware_incidents.id'], name=op.f('fk_ransomware_incident_victims_incident_id_ransomware_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', name=op.f('pk_ransomware_incident_victims'))
    )
    op.create_table('ransomware_report_links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('audience_org_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('incident_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ransomware_report_links_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['incident_id'], ['ransomware_incidents.id'], name=op.f('fk_ransomware_report_links_incident_id_ransomware_incidents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_ransomware_report_links_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ransomware_report_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_ransomware_report_links_token_hash'))
    )
    with op.batch_alter_table('ransomware_report_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ransomware_report_links_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_report_links_org_id'), ['org_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ransomware_report_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ransomware_report_links_org_id'))
        batch_op.drop_index(batch_op.f('ix_ransomware_report_links_created_by_id'))

    op.drop_table('ransomware_report_links')
    op.drop_table('ransomware_incident_victims')
    with op.batch_alter_table('ransomware_incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ransomware_incidents_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_ransomware_incidents_family_ref'))
        batch_op.drop_index(batch_op.f('ix_ransomware_incidents_discovered'))
        batch_op.drop_index(batch_op.f('ix_ransomware_incidents_created_by_id'))
        batch_op.drop_index('ix_ransomware_incidents_created_at_id')

    op.drop_table('ransomware_incidents')
    with op.batch_alter_table('ransomware_report_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_ransomware_report_attempts_ip_at')
        batch_op.drop_index(batch_op.f('ix_ransomware_report_attempts_at'))

    op.drop_table('ransomware_report_attempts')
