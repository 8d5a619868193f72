"""REST shapes: the readiness question bank, draft answers, assessments with their scores,
action plan and peer benchmark."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["ActionOut", "AnswerBody", "AreaOut", "AssessmentOut", "AssessmentSummaryOut",
           "BankOut", "BenchmarkOut", "DraftIn", "DraftOut", "QuestionOut", "ScoresOut",
           "TierOut"]

QuestionId = Annotated[str, StringConstraints(max_length=40)]


class QuestionOut(BaseModel):
    id: str
    area: str
    tier: str
    weight: int
    text: str
    guidance: str


class AreaOut(BaseModel):
    code: str
    slug: str
    name: str
    summary: str


class BankOut(BaseModel):
    version: str
    answers: list[str] = Field(description="The accepted answers: yes, partial, no, na.")
    areas: list[AreaOut]
    tiers: list[str]
    questions: list[QuestionOut]


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str = Field(max_length=16, description="yes, partial, no or na (not applicable).")
    note: str = Field(default="", max_length=4000,
                      description="Optional; at most 1000 characters are stored.")


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[QuestionId, AnswerBody | None] = Field(
        description="Answers to merge into the draft, by question id; null clears one.")


class TierOut(BaseModel):
    tier: str
    score: float | None
    achieved: bool


class AreaScoreOut(BaseModel):
    code: str
    name: str
    score: float | None
    level: str | None
    tiers: list[TierOut]


class ScoresOut(BaseModel):
    overall: float | None
    answered: int
    total: int
    unanswered: list[str]
    tiers: list[TierOut]
    areas: list[AreaScoreOut]


class ActionOut(BaseModel):
    question_id: str
    area: str
    tier: str
    weight: int
    answer: str | None
    gain: float = Field(description="Points the overall score gains with a yes.")
    text: str
    guidance: str


class BenchmarkOut(BaseModel):
    k: int
    sector: str | None
    enough_peers: bool
    overall_percentile: int | None
    area_percentiles: dict[str, int | None]


class AnswerOut(BaseModel):
    answer: str
    note: str


class DraftOut(BaseModel):
    id: uuid.UUID
    bank_version: str
    answers: dict[str, AnswerOut]
    updated_at: datetime
    scores: ScoresOut


class AssessmentSummaryOut(BaseModel):
    id: uuid.UUID
    status: str
    bank_version: str
    completed_at: datetime | None
    completed_by_id: uuid.UUID | None
    overall: float | None
    is_demo: bool


class AssessmentOut(AssessmentSummaryOut):
    answers: dict[str, AnswerOut]
    scores: ScoresOut
    previous_overall: float | None
    action_plan: list[ActionOut]
    benchmark: BenchmarkOut | None
