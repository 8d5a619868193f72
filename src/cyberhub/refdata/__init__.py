"""Reference data on day one: the MISP galaxies as TLP:CLEAR STIX objects, and the TLP,
PAP and admiralty-scale vocabularies of the MISP taxonomies (see docs/reference-data.md)."""
