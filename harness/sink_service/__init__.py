"""The notification sink: the service that stands in for Slack, PagerDuty, webhooks and email.

It runs inside its own container (`python3 -m sink_service`) on Debian's Python packages and
imports nothing from the rest of `harness`. Alertmanager delivers every receiver to it; it records
each delivery and serves the record at `GET /deliveries`.

This module imports nothing, so the host can test `sink_service.parsing` without Starlette or
aiosmtpd installed.
"""
