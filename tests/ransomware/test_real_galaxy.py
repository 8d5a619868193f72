"""The whole MISP ransomware galaxy of the installed pymispgalaxies, loaded as reference
data: the families are listed and a victim's clues find the right one."""

from __future__ import annotations

from typing import Any

from cyberhub.access import ANONYMOUS
from cyberhub.db import Database
from cyberhub.ransomware import service
from cyberhub.refdata import galaxies as g
from cyberhub.refdata import service as refdata


def test_the_real_galaxy(database: Database, community: Any) -> None:
    refdata.load(database, ["ransomware"])
    galaxy = g.read_galaxy("ransomware")
    with database.snapshot() as s:
        _items, total = service.list_families(s, ANONYMOUS, limit=1)
        assert total == len(galaxy.clusters)
        found = service.identify_family(s, ANONYMOUS, note_name="Restore-My-Files.txt",
                                        file_name="invoice.pdf.lockbit")
        assert found.candidates[0].name.startswith("LockBit")
        assert found.families == total
        found = service.identify_family(s, ANONYMOUS, file_name="photo.jpg.DJVU")
        assert found.candidates[0].name == "Djvu"
        found = service.identify_family(s, ANONYMOUS, file_name="a.doc.[Help@example.com].scarab")
        assert found.candidates[0].name == "Scarab"
