"""The signal source: a service that exposes, on /metrics, exactly the series the harness programs.

It runs inside its own container (`python3 -m signal_source`) on Debian's Python alone (the
standard library: no package is installed) and imports nothing from the rest of `harness`. The
harness `PUT`s a program to `/program` (series with their rates, values and latencies, and jobs
whose scrape must fail) and Prometheus scrapes `/metrics/<job>`; so the harness can drive the
metrics any team's alert rules read, without that team's exporters.

This module imports nothing, so the host can test the sub-modules without starting a server.
"""
