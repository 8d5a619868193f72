from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base
from cyberhub.sharing import Shareable


class Note(Shareable, Base):
    __tablename__ = "notes"

    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised once at write time, so every read path serves safe HTML.
    body_html: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
