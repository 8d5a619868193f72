"""A small ransomware galaxy (six families) loaded as reference data, as ``cyberhub
refdata load --file`` would."""

from __future__ import annotations

from pathlib import Path

import pytest

from cyberhub.db import Database
from cyberhub.refdata import service as refdata

SMALL_GALAXY = Path(__file__).resolve().parent.parent / "fixtures" / "ransomware" / "small-galaxy.json"
LOCKBIT = "malware--8eda8bf1-db5a-412d-8511-45e2f7621d51"
DHARMA = "malware--1f0e3b8c-58b7-4f0f-9a3d-1c4f3e0d9a10"
WANNACRY = "malware--3b0e4d2a-7c1f-4b8e-9f6a-2d5c8e1a7b34"
DJVU = "malware--6c2e1f4a-0b3d-4e5f-8a9b-7c6d5e4f3a21"


@pytest.fixture
def families(database: Database) -> Database:
    refdata.load(database, ["ransomware"], files=[SMALL_GALAXY])
    return database
