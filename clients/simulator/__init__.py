"""The whole street played against a running server, through the public contract only.

``dispatch simulate --url URL --password PW`` plays the reference street (grid workers'
phones on our socket, OsmAnd and OwnTracks; the disposal force; the desk; screens)
with live figures; ``--district`` plays every street of a district deployment at once
(``--scale``, ``--max-sockets``) with the district centre's view and figures per street;
``--phones N --interval S --reports-per-s R --duration T`` runs a load test instead and
prints one table. Modules:

- ``config``: options; ``clock``: simulated time (``--speed``); ``stats``, ``display``
- ``street``, ``walker``: grids in metres and a worker on foot
- ``sockets``, ``api``: reconnecting WebSockets and the shared HTTP client
- ``phones``: the three phone protocols; ``reports``, ``images``, ``catalogue``
- ``worker``, ``members``, ``desk``, ``screens``: the people and the wall
- ``district_mode``, ``district_screen``, ``district_display``: a whole district
- ``street_mode``, ``load``, ``main``: the ways to run
"""
