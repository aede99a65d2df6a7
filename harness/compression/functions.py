"""The PromQL functions of the Prometheus the stack runs (2.42), and what compression does to each.

promql-parser follows newer Prometheus releases: it knows `sort_by_label` and `info`, which 2.42
refuses, and not `holt_winters`, which 2.42 has (3.0 renamed it `double_exponential_smoothing`
with the same arguments). The stack's Prometheus is the judge, so its list is kept here;
`tests/integration` checks it against the stack's promtool.
"""

from __future__ import annotations

PROMETHEUS_VERSION = "2.42"

PROMETHEUS_FUNCTIONS = frozenset(
    """
    abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp
    clamp_max clamp_min cos cosh count_over_time days_in_month day_of_month day_of_week day_of_year
    deg delta deriv exp floor histogram_count histogram_fraction histogram_quantile histogram_sum
    holt_winters hour idelta increase irate label_join label_replace last_over_time ln log10 log2
    max_over_time min_over_time minute month pi predict_linear present_over_time quantile_over_time
    rad rate resets round scalar sgn sin sinh sort sort_desc sqrt stddev_over_time stdvar_over_time
    sum_over_time tan tanh time timestamp vector year
    """.split()
)

#: Names promql-parser knows by another name, with the same arguments and result type.
PARSER_ALIASES = {"holt_winters": "double_exponential_smoothing"}

#: Functions that count what happened in their window (events, or a level's change) rather than a
#: per-second rate. Under the clock model events keep their real per-second rate while the window
#: shrinks by the factor, so the count shrinks by the factor too, and is scaled back.
WINDOW_COUNTS = frozenset({"increase", "delta", "idelta"})

#: Functions that count discrete events (value changes, counter resets: restarts, flaps). Events at
#: a real rate land whole in a window N times shorter, so a count of a few cannot be scaled back:
#: one restart times N crosses a threshold of three. The differential test showed it.
DISCRETE_EVENT_COUNTS = frozenset({"changes", "resets"})

#: Functions that read the calendar of the wall clock: no compression keeps their meaning.
CALENDAR = frozenset({"hour", "minute", "month", "year", "day_of_month", "day_of_week", "day_of_year", "days_in_month"})

#: Functions whose result is a point on the wall clock in seconds.
CLOCK_READINGS = frozenset({"time", "timestamp"})

#: Series the monitoring stack itself produces on its own (compressed) clocks: scrapes, rule
#: evaluations, notification attempts. A count of them over a window needs no scaling back.
STACK_CLOCK_METRIC_PREFIXES = ("prometheus_", "alertmanager_", "scrape_")
STACK_CLOCK_METRICS = frozenset({"up"})


def counts_stack_clock(metric: str) -> bool:
    return metric in STACK_CLOCK_METRICS or metric.startswith(STACK_CLOCK_METRIC_PREFIXES)
