"""Why a selector has no series in a running Prometheus, told the way a person would fix it.

Three answers, cheapest question first: the metric name does not exist at all (the names the
targets do expose that look like it are suggested); the name exists but one label matcher matches
none of its values (which matcher, and the values there are); or every matcher matches something,
but no series has them all together. A name that a recording rule writes and that has no series
yet is said so, as information: the rule may simply not have run, or have had nothing to record.
"""

from __future__ import annotations

import difflib
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from harness.check.findings import Severity
from harness.check.prometheus_api import PrometheusApi
from harness.check.selectors import Matcher, Selector
from harness.check.documents import Rule
from harness.timescale import format_duration

#: Series Prometheus itself writes only while some alert is pending or firing.
ALERT_SERIES = frozenset({"ALERTS", "ALERTS_FOR_STATE"})
_SHOWN_VALUES = 8
#: How alike a name must be to be suggested: as text (difflib ratio), or in shared `_` words (Jaccard).
_CLOSE_TEXT = 0.8
_SHARED_WORDS = 0.65


@dataclass(frozen=True)
class Absence:
    """A selector with no series: how bad, what a person sees, and what to do."""

    severity: Severity
    message: str
    fix: str


class Diagnosis:
    """Answers "why no series?" for selectors, asking `api` as little as it can (answers are cached).

    `target_labels` are the labels scraping attaches (job, instance, static labels): a value missing
    there is a wrong target, never an event that has not happened yet.
    """

    def __init__(self, api: PrometheusApi, recorded: dict[str, Rule], counters: set[str],
                 target_labels: AbstractSet[str] = frozenset({"job", "instance"})) -> None:
        self._api = api
        self._recorded = recorded
        self._counters = counters
        self._target_labels = target_labels
        self._names: set[str] | None = None
        self._verdicts: dict[str, Absence | None] = {}
        self._missing_names: dict[str, Absence] = {}

    @property
    def names(self) -> set[str]:
        if self._names is None:
            self._names = self._api.metric_names()
        return self._names

    def absence(self, selector: Selector) -> Absence | None:
        """None when the selector has series in the window; else why not."""
        if selector.text not in self._verdicts:
            self._verdicts[selector.text] = self._absence(selector)
        return self._verdicts[selector.text]

    def _absence(self, selector: Selector) -> Absence | None:
        name = selector.name
        if name and name not in self.names:
            if name not in self._missing_names:
                self._missing_names[name] = self._missing_name(name)
            return self._missing_names[name]
        if not selector.matchers or self._api.has_series(selector.text):
            return None
        return self._unmatched(selector)

    def _missing_name(self, name: str) -> Absence:
        rule = self._recorded.get(name)
        if rule is not None:
            return Absence(
                "info",
                f"`{name}` has no series yet: the recording rule {rule.name} ({rule.file.name}:{rule.line}) "
                "has not written any (it has not run yet, or what it reads has no series)",
                "nothing to do if the rule has only just been loaded; otherwise see the findings on that rule's own selectors",
            )
        alike = similar_names(name, self.names)
        message = f"`{name}` does not exist (no series in the last {format_duration(self._api.window)})"
        if alike:
            message += f"; {_joined(alike)} {'does' if len(alike) == 1 else 'do'}"
        if name in ALERT_SERIES:
            message += f" ({name} has series only while some alert is pending or firing)"
            fix = "nothing to do if no alert is active; the selector is then right and only has nothing to read yet"
        elif alike:
            fix = f"use `{alike[0]}` if that is the metric meant, or check which target should expose `{name}`"
        else:
            fix = f"check the name against what the targets expose (GET /api/v1/label/__name__/values), and that the target exposing `{name}` is scraped"
        return Absence("warning", message, fix)

    def _unmatched(self, selector: Selector) -> Absence:
        subject = f"`{selector.name}`" if selector.name else "any metric"
        match = selector.name
        for matcher in selector.matchers:
            if matcher.label == "__name__":
                continue
            values = self._api.label_values(matcher.label, match)
            candidates = values or [""]  # no series has the label: it reads as ""
            if any(matcher.matches(value) is not False for value in candidates):
                continue
            if not values:
                labels = [label for label in self._api.label_names(match) if label != "__name__"]
                alike = difflib.get_close_matches(matcher.label, labels, n=1, cutoff=0.5)
                message = f"no series of {subject} has a label `{matcher.label}` (so `{matcher.text}` matches nothing)"
                if labels:
                    message += f"; its labels are {', '.join(labels)}"
                fix = f"use label `{alike[0]}` if that is the one meant" if alike else f"match on a label {subject} has"
                return Absence("warning", message, fix)
            return self._unmatched_value(selector, matcher, values)
        together = ", ".join(f"`{m.text}`" for m in selector.matchers)
        return Absence(
            "warning",
            f"no series of {subject} matches {together} together (each matches some series on its own)",
            "check which combination of label values the target really exposes",
        )

    def _unmatched_value(self, selector: Selector, matcher: Matcher, values: list[str]) -> Absence:
        subject = f"`{selector.name}`" if selector.name else "any metric"
        shown = ", ".join(values[:_SHOWN_VALUES]) + (f", ... ({len(values)} in all)" if len(values) > _SHOWN_VALUES else "")
        message = f"no series of {subject} has `{matcher.text}`: the known {matcher.label} values are {shown}"
        alike = difflib.get_close_matches(matcher.value, values, n=1, cutoff=0.6) if matcher.op == "=" else []
        if matcher.value.isdigit():  # 503 is not a typo of 500
            alike = []
        if alike:
            fix = f"use `{matcher.label}=\"{alike[0]}\"` if that is what is meant"
        else:
            fix = f"match one of the {matcher.label} values there are"
        if matcher.op in ("=", "=~") and matcher.label not in self._target_labels and self._counts_events(selector.name):
            message += ("; a counter often has a series for a label value only once the event has happened "
                        "(an error status, a failure reason)")
            fix += "; or have the exporter create that series at 0 at start, so the rule reads 0 instead of nothing"
        return Absence("warning", message, fix)

    def _counts_events(self, name: str) -> bool:
        return bool(name) and (name in self._counters or name.endswith(("_total", "_count", "_bucket")))


def similar_names(name: str, names: set[str], limit: int = 3) -> list[str]:
    """Names that look like `name`: close as text, or sharing most of its `_`-separated words."""
    words = set(name.lower().split("_"))
    close = set(difflib.get_close_matches(name, names, n=10, cutoff=_CLOSE_TEXT))
    for candidate in names:
        candidate_words = set(candidate.lower().split("_"))
        if len(words & candidate_words) / len(words | candidate_words) >= _SHARED_WORDS:
            close.add(candidate)
    scored: list[tuple[float, str]] = []
    for candidate in close:
        candidate_words = set(candidate.lower().split("_"))
        overlap = len(words & candidate_words) / len(words | candidate_words)
        ratio = difflib.SequenceMatcher(None, name, candidate).ratio()
        same_suffix = name.rsplit("_", 1)[-1] == candidate.rsplit("_", 1)[-1]
        scored.append((max(ratio, overlap) + (0.05 if same_suffix else 0.0), candidate))
    scored.sort(key=lambda item: (-item[0], item[1]))
    # A clear winner stands alone: `_bucket` for `_bucket`, not also its `_count` and `_sum`.
    return [candidate for score, candidate in scored[:limit] if score >= scored[0][0] - 0.04]


def _joined(names: list[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
