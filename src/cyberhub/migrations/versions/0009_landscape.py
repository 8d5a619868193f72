"""atlas: indexes for the landscape dashboard

The dashboard's figures are aggregates over what one viewer may see. These indexes hold
every column the visibility rule reads (tlp, owner, author, record id), so that SQLite
and PostgreSQL answer from the index alone, without reading the rows and their JSON:

- relationships and sightings by when they were modified (activity, sectors, countries);
- objects by type and STIX creation (new objects per week);
- records by vetting state and last change (vetted findings per week).

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-27
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VISIBILITY = ["tlp", "owner_org_id", "created_by_id", "revoked"]


def upgrade() -> None:
    with op.batch_alter_table("stix_objects", schema=None) as batch_op:
        batch_op.create_index("ix_stix_objects_type_modified_visibility",
                              ["type", "stix_modified", *VISIBILITY, "id"], unique=False)
        batch_op.create_index("ix_stix_objects_type_created_visibility",
                              ["type", "stix_created", "created_at", *VISIBILITY, "stix_id",
                               "id"], unique=False)
        batch_op.create_index("ix_stix_objects_vetting_updated_at",
                              ["vetting", "updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stix_objects", schema=None) as batch_op:
        batch_op.drop_index("ix_stix_objects_vetting_updated_at")
        batch_op.drop_index("ix_stix_objects_type_created_visibility")
        batch_op.drop_index("ix_stix_objects_type_modified_visibility")
