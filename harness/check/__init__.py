"""`harness check`: what in a team's own monitoring configs will never page anyone, found before anything runs.

    sources      find the files as Prometheus, Alertmanager and Compose would -> Monitoring
    documents    YAML with the line of every key; the rules in a rule file or PrometheusRule
    compose      a compose file's services: images, commands, bind mounts
    wiring       config that only looks connected (rule files, alerting, receivers; promtool, amtool)
    routes       the routing matrix: every alerting rule x every receiver, checked against amtool
    alert_labels the labels an alert will carry: the rule's own and those its series bring
    inhibits     inhibit rules, time intervals and silences that match nothing
    promql       expressions that will not do what they read like (expression, counters)
    secrets      placeholders Alertmanager never expands, empty or plain-text secrets
    hygiene      the compose file: unpinned images, open ports, default credentials, admin APIs
    retention    retention against what the documents beside the compose file promise
    live         on a running Prometheus: selectors and dashboard panels with no series, targets down
                 (dashboards, templating, selectors, absence, prometheus_api)
    waivers      findings a team accepts, with reasons (harness-check.yml)
    run          all of the above -> CheckResult; output: table, JSON, SARIF

Each check module has `findings(monitoring) -> list[Finding]`.
"""
