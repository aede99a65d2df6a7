"""The evidence bundle of a run, rendered from its data (report.json) alone.

    summary     the decision and why, the checklist ticked by measured results, the per-alert table
    markdown    report.md, PromQL-safe (`|` and backticks in table cells and code spans)
    plots       a PNG per scenario: metric vs threshold, faults, alert states, deliveries, theory
    html        report.html: one file, CSS and plots inline, nothing fetched
    junit       report.junit.xml: a case per expectation; what fails the gate fails there
    manifest    manifest.sha256 over every file, and its check (`harness verify-report`)
    bundle      all of it for a folder, at the end of a run or again later (`harness report`)
"""
