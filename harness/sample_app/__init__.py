"""The sample app: an instrumented web service on PostgreSQL and Redis that runs inside a container.

It imports nothing from the host-side ``harness`` package. Run it with ``python3 -m sample_app``
(the image puts this folder at ``/opt/sample_app``). Routes, metrics and the fault control API
are described in ``app.py``. The modules ``business``, ``config``, ``faults``, ``memory``,
``names``, ``orders``, ``tasks`` and ``throttle`` use only the standard library so the host can
test them without the app's dependencies (Starlette, psycopg, redis, prometheus_client).
"""
