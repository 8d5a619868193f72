"""MISP interoperability: MISP event JSON and MISP feeds in, MISP event JSON out.

- :mod:`.reader` reads events one at a time from a MISP event file (one event, a list,
  or the API's ``{"response": [...]}``) or a MISP feed (a directory or a ``.tar.gz``
  with ``manifest.json`` and ``<uuid>.json`` files).
- :mod:`.to_stix` turns each event into STIX 2.1 objects; :func:`.to_stix.convert` is
  the ``misp`` converter of :mod:`cyberhub.formats.convert`.
- :mod:`.tags` maps MISP tags and distribution levels to TLP 2.0 and PAP.
- :mod:`.from_stix` turns what a viewer may see into MISP events (the ``misp`` export).
- :mod:`.feeds` fetches what is new in a subscribed feed (a URL or a directory) into a
  staging folder that the importer reads (subscriptions: :mod:`cyberhub.federation`).

The mapping tables are in ``docs/misp.md``; the choice of our own mapping over the
misp-stix library in ``docs/decisions/0012-misp-mapping.md``.
"""
