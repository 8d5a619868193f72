"""Ransomware victims' names and contacts are encrypted at rest (ASVS 6.1.1)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VICTIMS = sa.table("ransomware_incident_victims", sa.column("incident_id"),
                   sa.column("name", sa.Text()), sa.column("contact", sa.Text()))


def _rewrite(change: object) -> None:
    """Every victim row through ``change`` (encrypt or decrypt), in this transaction."""
    conn = op.get_bind()
    rows = conn.execute(sa.select(VICTIMS.c.incident_id, VICTIMS.c.name,
                                  VICTIMS.c.contact)).all()
    for incident_id, name, contact in rows:
        conn.execute(VICTIMS.update().where(VICTIMS.c.incident_id == incident_id).values(
            name=change(name or ""), contact=change(contact or "")))  # type: ignore[operator]


def upgrade() -> None:
    from cyberhub.community.security import encrypt_secret

    # A Fernet token is about 1.4 times the text and then some: Text, not String(300).
    with op.batch_alter_table("ransomware_incident_victims") as batch:
        batch.alter_column("name", existing_type=sa.String(300), type_=sa.Text())
        batch.alter_column("contact", existing_type=sa.String(500), type_=sa.Text())
    _rewrite(encrypt_secret)


def downgrade() -> None:
    from cyberhub.community.security import decrypt_secret

    def plain(token: str) -> str:
        value = decrypt_secret(token)
        if value is None:
            raise RuntimeError("A victim's name or contact opens with none of the configured "
                               "secret keys; the downgrade stops before writing anything.")
        return value

    _rewrite(plain)
    with op.batch_alter_table("ransomware_incident_victims") as batch:
        batch.alter_column("name", existing_type=sa.Text(), type_=sa.String(300))
        batch.alter_column("contact", existing_type=sa.Text(), type_=sa.String(500))
