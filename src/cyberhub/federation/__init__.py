"""Exchange with the wider ecosystem: subscriptions to MISP feeds (partner hubs, TAXII
and sync follow).

- :mod:`.models`: ``MispFeed``, one subscription of an organisation;
- :mod:`.service`: managing subscriptions (who may) and polling them: fetch what is new
  (:mod:`cyberhub.formats.misp.feeds`), run one ordinary ``misp`` import job, move the
  cursor only when that import succeeded;
- :mod:`.api`, :mod:`.pages`: the REST endpoints and the web page.
"""
