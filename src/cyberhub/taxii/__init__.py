"""The hub's TAXII 2.1 server at ``/taxii2/`` (OASIS TAXII 2.1, sections 3–5).

- :mod:`.models`: ``TaxiiCollection``, a hub admin's named filter over the knowledge base;
- :mod:`.media`: media types, ``Accept``/``Content-Type`` checks, the TAXII error body;
- :mod:`.paging`: request filters (``added_after``, ``limit``, ``match[…]``) and signed
  ``next`` tokens;
- :mod:`.service`: what each endpoint answers, every object through the sharing rules
  (:mod:`cyberhub.access`);
- :mod:`.api`: the routes and authentication (HTTP Basic with e-mail and API token, or
  a Bearer token); :mod:`.pages`: the admin page that defines collections.

A collection never widens what a requester sees: it narrows the knowledge base they may
see to its filter. Writes go through the ordinary import job (one status resource per
POST).
"""
