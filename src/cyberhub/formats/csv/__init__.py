"""CSV import: a member's spreadsheet, read with a column mapping, becomes STIX 2.1.

Public API::

    from cyberhub.formats.csv import Mapping, preview, convert
"""

from cyberhub.formats.csv.mapping import OUTPUTS, PROPERTIES, VALUE_KINDS, Mapping, role_label
from cyberhub.formats.csv.to_stix import Preview, convert, preview

__all__ = ["OUTPUTS", "PROPERTIES", "VALUE_KINDS", "Mapping", "Preview", "convert", "preview",
           "role_label"]
