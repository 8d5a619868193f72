"""find a viewer's own RED rows by an index of RED rows alone (not of every restricted row:
an analyst who imported 100,000 AMBER objects has no RED among them to wade through)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 07:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESTRICTED = "tlp NOT IN ('CLEAR', 'GREEN')"
RED_ONLY = "tlp = 'RED'"


def upgrade() -> None:
    op.drop_index("ix_stix_objects_restricted_author", table_name='stix_objects')
    op.create_index("ix_stix_objects_red_author", 'stix_objects', ['created_by_id', 'id'],
                    unique=False, sqlite_where=sa.text(RED_ONLY),
                    postgresql_where=sa.text(RED_ONLY))


def downgrade() -> None:
    op.drop_index("ix_stix_objects_red_author", table_name='stix_objects')
    op.create_index("ix_stix_objects_restricted_author", 'stix_objects', ['created_by_id', 'id'],
                    unique=False, sqlite_where=sa.text(RESTRICTED),
                    postgresql_where=sa.text(RESTRICTED))
