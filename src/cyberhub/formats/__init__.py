"""Exchange formats: STIX 2.1 (validation, import, export) and, later, MISP, CSV and text."""
