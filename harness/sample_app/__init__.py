"""The sample app: an instrumented web service on PostgreSQL that runs inside a container.

It imports nothing from the host-side ``harness`` package. Run it with ``python3 -m sample_app``
(the image puts this folder at ``/opt/sample_app``). Routes, metrics and the fault control API
are described in ``app.py``; the modules ``config``, ``faults`` and ``orders`` use only the
standard library so the host can test them without the app's dependencies.
"""
