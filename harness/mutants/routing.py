"""Mutants of Alertmanager's routing: routes, matchers, `continue`, inhibition, send_resolved, timers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.mutants import Applied, StackFiles, Symptom
from harness.mutants.rules import SHOWS_ROUTING
from harness.receivers import SEND_RESOLVED_DEFAULT
from harness.timescale import format_duration, parse_duration

if TYPE_CHECKING:
    from harness.scenario import Scenario

MATCHER_OPERATORS = ("=~", "!~", "!=", "=")
NOTIFIER_KINDS = {"slack_configs": "slack", "pagerduty_configs": "pagerduty", "webhook_configs": "webhook",
                  "email_configs": "email"}


def child_routes(route: dict[str, Any], where: str = "route") -> Iterator[tuple[str, dict[str, Any], list[Any], int]]:
    """(YAML path, route, its siblings list, index) for every route below the root, depth first."""
    for index, child in enumerate(route.get("routes") or []):
        path = f"{where}.routes[{index}]"
        yield path, child, route["routes"], index
        yield from child_routes(child, path)


def route_at(document: dict[str, Any], where: str) -> dict[str, Any]:
    node: Any = document
    for part in where.split("."):
        name, _, index = part.partition("[")
        node = node[name]
        if index:
            node = node[int(index[:-1])]
    return node  # type: ignore[no-any-return]


def nothing_arrived(receivers: Sequence[str], why: str) -> Symptom:
    return Symptom(
        f"a delivery verdict says {' or '.join(receivers)}: nothing arrived ({why})", frozenset({"alert_delivered"}),
        phrases=tuple(f"{receiver}: nothing arrived" for receiver in receivers),
    )


def typo(value: str) -> str:
    """A one-letter slip: the second-to-last character dropped (`critical` -> `criticl`)."""
    return value[:-2] + value[-1:] if len(value) > 2 else value + value[-1:]


def _matcher_typo(matcher: str) -> tuple[str, str] | None:
    for operator in MATCHER_OPERATORS:
        name, found, value = matcher.partition(operator)
        if found:
            quoted = len(value.strip()) > 1 and value.strip()[0] == value.strip()[-1] == '"'
            inner = value.strip()[1:-1] if quoted else value.strip()
            if not inner:
                return None
            changed = f'"{typo(inner)}"' if quoted else typo(inner)
            return f"{name.strip()}{operator}{changed}", f"{name.strip()}{operator}{value.strip()}"
    return None


@dataclass(frozen=True)
class ReceiverRemoved:
    kind: str = "receiver_removed"
    needs: str = "child route naming a receiver"

    def describe(self) -> str:
        return "a receiver removed from its route (the route that sends to it is deleted)"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        original = files.document(files.alertmanager_yml)
        mutants = []
        for where, route, _, _ in child_routes(original["route"]):
            receiver = route.get("receiver")
            if not receiver:
                continue
            document = files.document(files.alertmanager_yml)
            parent_path, _, last = where.rpartition(".")
            parent = route_at(document, parent_path)
            del parent["routes"][int(last[len("routes["):-1])]
            if not parent["routes"]:
                del parent["routes"]
            mutants.append(Applied(
                self.kind, files.relative(files.alertmanager_yml), where, f"route to {receiver} removed",
                nothing_arrived([receiver], "its route is gone"), (receiver,), document,
            ))
        return mutants


@dataclass(frozen=True)
class MatcherTypo:
    kind: str = "matcher_typo"
    needs: str = "route with matchers"

    def describe(self) -> str:
        return "a typo in a route's matcher value (one letter dropped)"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        original = files.document(files.alertmanager_yml)
        mutants = []
        for where, route, _, _ in child_routes(original["route"]):
            receiver = str(route.get("receiver", "(inherited receiver)"))
            for index, matcher in enumerate(route.get("matchers") or []):
                changed = _matcher_typo(str(matcher))
                if changed is None:
                    continue
                document = files.document(files.alertmanager_yml)
                route_at(document, where)["matchers"][index] = changed[0]
                mutants.append(Applied(
                    self.kind, files.relative(files.alertmanager_yml), f"{where}.matchers[{index}]",
                    f"{changed[1]} -> {changed[0]}", nothing_arrived([receiver], "its route no longer matches"),
                    (receiver,), document,
                ))
            for key, value in (route.get("match") or {}).items():
                document = files.document(files.alertmanager_yml)
                route_at(document, where)["match"][key] = typo(str(value))
                mutants.append(Applied(
                    self.kind, files.relative(files.alertmanager_yml), f"{where}.match.{key}",
                    f"{key}: {value} -> {key}: {typo(str(value))}",
                    nothing_arrived([receiver], "its route no longer matches"), (receiver,), document,
                ))
        return mutants


@dataclass(frozen=True)
class ContinueFlipped:
    kind: str = "continue_flipped"
    needs: str = "child route followed by a sibling"

    def describe(self) -> str:
        return "a route's `continue` flipped (true: later routes stop seeing its alerts; false: they start)"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        original = files.document(files.alertmanager_yml)
        mutants = []
        for where, route, siblings, index in child_routes(original["route"]):
            later = [str(sibling.get("receiver")) for sibling in siblings[index + 1:] if sibling.get("receiver")]
            if not later:
                continue
            old = bool(route.get("continue", False))
            document = files.document(files.alertmanager_yml)
            route_at(document, where)["continue"] = not old
            receiver = str(route.get("receiver", "(inherited receiver)"))
            if old:
                symptom = nothing_arrived(later, f"{receiver}'s route now stops the walk")
            else:
                symptom = Symptom(
                    f"a verdict says an alert routed to {receiver} also reached one of {', '.join(later)}",
                    SHOWS_ROUTING, tuple(later), ("also delivered to", "delivered to", "delivered:"),
                )
            mutants.append(Applied(
                self.kind, files.relative(files.alertmanager_yml), f"{where}.continue ({receiver})",
                f"continue: {str(old).lower()} -> {str(not old).lower()}", symptom, (receiver,), document,
            ))
        return mutants


def _alertnames(matchers: Any, legacy: Any) -> tuple[str, ...]:
    names = []
    for matcher in matchers or []:
        name, found, value = str(matcher).partition("=")
        if found and name.strip() == "alertname" and not value.startswith("~"):
            names.append(value.strip().strip('"'))
    if isinstance(legacy, dict) and "alertname" in legacy:
        names.append(str(legacy["alertname"]))
    return tuple(names)


def suppression_broken(rule: dict[str, Any], why: str) -> Symptom:
    targets = _alertnames(rule.get("target_matchers"), rule.get("target_match"))
    what = ", ".join(targets) or "an alert it should inhibit"
    return Symptom(
        f"an alert_not_delivered / no_alerts verdict says {what} was delivered ({why})",
        frozenset({"alert_not_delivered", "no_alerts"}), targets, ("delivered to", "delivered:"),
    )


@dataclass(frozen=True)
class InhibitRuleRemoved:
    kind: str = "inhibit_rule_removed"
    needs: str = "inhibit rule"

    def describe(self) -> str:
        return "an inhibit rule removed"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        original = files.document(files.alertmanager_yml)
        mutants = []
        for index, rule in enumerate(original.get("inhibit_rules") or []):
            document = files.document(files.alertmanager_yml)
            del document["inhibit_rules"][index]
            targets = _alertnames(rule.get("target_matchers"), rule.get("target_match"))
            sources = _alertnames(rule.get("source_matchers"), rule.get("source_match"))
            mutants.append(Applied(
                self.kind, files.relative(files.alertmanager_yml), f"inhibit_rules[{index}]",
                f"inhibit rule {_describe_inhibit(rule)} removed", suppression_broken(rule, "nothing inhibits it"),
                (*sources, *targets), document,
            ))
        return mutants


@dataclass(frozen=True)
class InhibitEqualChanged:
    kind: str = "inhibit_equal_changed"
    needs: str = "inhibit rule"

    def describe(self) -> str:
        return ("an inhibit rule's `equal` changed: `alertname` added where absent (source and target never "
                "agree on it), else its last label dropped")

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        original = files.document(files.alertmanager_yml)
        mutants = []
        for index, rule in enumerate(original.get("inhibit_rules") or []):
            old = [str(label) for label in rule.get("equal") or []]
            if "alertname" not in old:
                new = [*old, "alertname"]
                symptom = suppression_broken(rule, "source and target must now share an alertname")
            elif len(old) > 1:
                new = old[:-1]
                symptom = Symptom(
                    f"a verdict says an alert that should have been delivered was not (inhibition broadened to "
                    f"any {', '.join(new)})", frozenset({"alert_delivered"}), phrases=("nothing arrived",),
                )
            else:
                continue
            document = files.document(files.alertmanager_yml)
            document["inhibit_rules"][index]["equal"] = new
            targets = _alertnames(rule.get("target_matchers"), rule.get("target_match"))
            sources = _alertnames(rule.get("source_matchers"), rule.get("source_match"))
            mutants.append(Applied(
                self.kind, files.relative(files.alertmanager_yml), f"inhibit_rules[{index}].equal",
                f"equal: [{', '.join(old)}] -> [{', '.join(new)}]", symptom, (*sources, *targets), document,
            ))
        return mutants


def _describe_inhibit(rule: dict[str, Any]) -> str:
    source = rule.get("source_matchers") or rule.get("source_match") or "?"
    target = rule.get("target_matchers") or rule.get("target_match") or "?"
    return f"{source} -> {target}"


@dataclass(frozen=True)
class SendResolvedFlipped:
    kind: str = "send_resolved_flipped"
    needs: str = "receiver with a notifier"

    def describe(self) -> str:
        return "a notifier's `send_resolved` flipped (Alertmanager's default when it is not written)"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        original = files.document(files.alertmanager_yml)
        mutants = []
        for receiver_index, receiver in enumerate(original.get("receivers") or []):
            name = str(receiver.get("name"))
            for key, kind in NOTIFIER_KINDS.items():
                for notifier_index, notifier in enumerate(receiver.get(key) or []):
                    default = SEND_RESOLVED_DEFAULT[kind]  # type: ignore[index]
                    old = bool(notifier.get("send_resolved", default))
                    document = files.document(files.alertmanager_yml)
                    document["receivers"][receiver_index][key][notifier_index]["send_resolved"] = not old
                    written = "" if "send_resolved" in notifier else " (default)"
                    symptom = Symptom(
                        f"an alert_resolves verdict says {name} got no resolved notification, or got one it should "
                        "not have", frozenset({"alert_resolves"}), (name,),
                        (f"{name}: no resolved notification", f"{name}: sent a resolved notification"),
                    )
                    mutants.append(Applied(
                        self.kind, files.relative(files.alertmanager_yml),
                        f"receivers[{receiver_index}].{key}[{notifier_index}].send_resolved ({name})",
                        f"send_resolved: {str(old).lower()}{written} -> {str(not old).lower()}", symptom, (name,),
                        document,
                    ))
        return mutants


@dataclass(frozen=True)
class GroupWaitTimes20:
    kind: str = "group_wait_x20"
    needs: str = "route (every config has a root route)"

    def describe(self) -> str:
        return "a route's group_wait x20 (the root's default 30s when it is not written)"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        original = files.document(files.alertmanager_yml)
        routes = [("route", original["route"])] + [(where, route) for where, route, _, _ in child_routes(original["route"])]
        mutants = []
        for where, route in routes:
            if where != "route" and "group_wait" not in route:
                continue  # a child without its own group_wait inherits the root's, which the root's mutant covers
            written = route.get("group_wait", "30s")
            new = format_duration(parse_duration(written, f"{files.alertmanager_yml}: {where}.group_wait") * 20)
            document = files.document(files.alertmanager_yml)
            route_at(document, where)["group_wait"] = new
            receiver = str(route.get("receiver", "(inherited receiver)"))
            symptom = Symptom(
                f"a delivery verdict says a notification came later than its deadline, or not at all (group_wait {new})",
                frozenset({"alert_delivered", "alert_not_delivered"}), (), ("nothing arrived",), late=True,
                refusals=("group_wait",),
            )
            mutants.append(Applied(
                self.kind, files.relative(files.alertmanager_yml), f"{where}.group_wait ({receiver})",
                f"group_wait: {written} -> {new}", symptom, (receiver,), document,
            ))
        return mutants
