"""The shared knowledge base: STIX objects, values, correlation, sightings, search."""
