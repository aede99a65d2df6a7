"""Alertmanager routing trees for tests, in the shapes real configs take.

Written for these tests after reading public configs: Alertmanager's own example (teams split by
`service`, a pager child per team, a database route whose owner children `continue`), the seeds'
severity trees (a page that continues to Slack; per-severity group_wait), and a `match_re` fan-out
where every route continues. The integration test hands the same trees to `amtool config routes
test` to prove `harness.routing` agrees with Alertmanager.
"""

from __future__ import annotations

#: Teams by service, a pager child per team, owners under the database route; timers inherited and overridden.
TEAMS = """
route:
  receiver: ops-mail
  group_by: [alertname, cluster, service]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 3h
  routes:
    - receiver: web-mail
      matchers: ['service=~"checkout|search|web-.*"']
      group_wait: 45s
      routes:
        - receiver: web-pager
          matchers: [severity="critical"]
          group_interval: 2m
    - receiver: files-mail
      match: {service: files}
      routes:
        - receiver: files-pager
          match: {severity: critical}
          group_wait: 10s
    - receiver: db-pager
      matchers: ['service="database"']
      group_by: [alertname, cluster, database]
      group_wait: 1m
      routes:
        - receiver: web-pager
          matchers: ['owner="team-web"']
          continue: true
        - receiver: files-pager
          matchers: ['owner="team-files"']
receivers:
  - {name: ops-mail}
  - {name: web-mail}
  - {name: web-pager}
  - {name: files-mail}
  - {name: files-pager}
  - {name: db-pager}
"""

#: A seed's severity tree: the page continues to Slack; each severity has its own group_wait.
SEVERITIES = """
route:
  receiver: default
  group_by: [alertname, service]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
  routes:
    - receiver: pagerduty-critical
      match: {severity: critical}
      group_wait: 10s
      continue: true
    - receiver: slack-critical
      match: {severity: critical}
      group_wait: 20s
    - receiver: slack-warning
      match: {severity: warning}
      group_wait: 1m
      group_interval: 10m
receivers:
  - {name: default}
  - {name: pagerduty-critical}
  - {name: slack-critical}
  - {name: slack-warning}
"""

#: A `match_re` fan-out where every route continues, and negative matchers in one `matchers` item.
FAN_OUT = """
route:
  receiver: slack
  group_wait: 10s
  group_interval: 5m
  repeat_interval: 30m
  routes:
    - receiver: slack
      match_re: {severity: "error|warning"}
      continue: true
    - receiver: sms
      match_re: {severity: error}
      continue: true
    - receiver: night-shift
      matchers: ['{env!="staging", team!~"qa|test"}']
      continue: true
receivers:
  - {name: slack}
  - {name: sms}
  - {name: night-shift}
"""

TREES = {"teams": TEAMS, "severities": SEVERITIES, "fan-out": FAN_OUT}

#: Label sets worth routing through each tree (label=value words, as amtool takes them).
CASES = {
    "teams": [
        ["service=checkout"],
        ["service=web-frontend", "severity=critical"],
        ["service=web", "severity=critical"],
        ["service=files", "severity=critical"],
        ["service=files", "severity=warning"],
        ["service=database", "owner=team-web"],
        ["service=database", "owner=team-files"],
        ["service=database", "owner=team-other"],
        ["service=unknown"],
    ],
    "severities": [["severity=critical"], ["severity=warning"], ["severity=info"], ["alertname=Anything"]],
    "fan-out": [
        ["severity=error"],
        ["severity=warning", "env=staging"],
        ["severity=errors", "env=prod", "team=qa"],
        ["severity=info", "env=prod"],
        ["team=ops"],
    ],
}
