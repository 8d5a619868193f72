"""REST: an organisation's saved CSV column mappings (made on the import page)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from cyberhub.deps import ApiCtx
from cyberhub.formats.csv import mappings
from cyberhub.formats.models import CsvMapping

router = APIRouter(prefix="/csv-mappings", tags=["import"])


class CsvMappingOut(BaseModel):
    id: uuid.UUID
    name: str
    spec: dict[str, Any] = Field(description="Roles per column, output, encoding, delimiter "
                                             "(see docs/csv-and-text.md).")
    created_at: datetime
    updated_at: datetime


def _out(row: CsvMapping) -> CsvMappingOut:
    return CsvMappingOut(id=row.id, name=row.name, spec=row.spec, created_at=row.created_at,
                         updated_at=row.updated_at)


@router.get("", response_model=list[CsvMappingOut])
def list_mappings(ctx: ApiCtx) -> list[CsvMappingOut]:
    """Your organisation's saved mappings, by name."""
    return [_out(m) for m in mappings.list_mappings(ctx.session, ctx.viewer)]


@router.get("/{ref}", response_model=CsvMappingOut)
def get_mapping(ctx: ApiCtx, ref: str) -> CsvMappingOut:
    """One mapping, by id or by name."""
    return _out(mappings.get_mapping(ctx.session, ctx.viewer, ref[:200]))


@router.delete("/{ref}", status_code=204, response_class=Response)
def delete_mapping(ctx: ApiCtx, ref: str) -> Response:
    """Delete a mapping (imports that used it keep their own copy of it)."""
    mappings.delete_mapping(ctx.session, ctx.viewer, ref[:200])
    return Response(status_code=204)
