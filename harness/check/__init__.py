"""`harness check`: what in a team's own monitoring configs will never page anyone, found before anything runs.

    sources   find and read the files (compose mounts, rule_files globs) -> Monitoring
    wiring    config that only looks connected (rule files, alerting, receivers, promtool/amtool)
    routes    the routing matrix: every alerting rule x every receiver, checked against amtool
    inhibits  inhibit rules, silences and mute timings that match nothing
    promql    expressions that will not do what they read like
    secrets   placeholders Alertmanager never expands, empty or plain-text secrets
    hygiene   the compose file: unpinned images, open ports, default credentials, retention
    live      on a running stack: selectors and dashboard panels with no series, targets down

Each check module has `findings(monitoring) -> list[Finding]`.
"""
