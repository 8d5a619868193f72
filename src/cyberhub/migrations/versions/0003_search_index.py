"""full-text search over object names and descriptions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # 'simple': no stemming or stop words — names of actors, tools and families are
        # not English prose, and an analyst searching "conti" means exactly that.
        op.execute(
            "ALTER TABLE stix_objects ADD COLUMN search tsvector GENERATED ALWAYS AS "
            "(to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(description, ''))) "
            "STORED")
        op.execute("CREATE INDEX ix_stix_objects_search ON stix_objects USING gin (search)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE stix_objects_fts USING fts5(object_id UNINDEXED, name, "
            "description, tokenize = 'unicode61 remove_diacritics 2', detail = none)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_stix_objects_search")
        op.execute("ALTER TABLE stix_objects DROP COLUMN IF EXISTS search")
    else:
        op.execute("DROP TABLE IF EXISTS stix_objects_fts")
