from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from builders import REPO
from routing_trees import FAN_OUT, SEVERITIES, TEAMS

from harness.errors import ConfigError
from harness.routing import Matcher, Route, parse_matchers, parse_tree, routes_for, routes_to


def tree(text: str) -> Route:
    return parse_tree(yaml.safe_load(text)["route"], "alertmanager.yml: route")


def receivers(root: Route, **labels: str) -> list[str]:
    return [route.receiver for route in routes_for(root, labels)]


SHIPPED = parse_tree(yaml.safe_load((REPO / "compose" / "alertmanager" / "alertmanager.yml").read_text())["route"], "route")


# --- matching ----------------------------------------------------------------------------------------


def test_a_critical_database_alert_on_the_shipped_tree_continues_through_three_routes() -> None:
    assert receivers(SHIPPED, severity="critical", team="database") == [
        "pagerduty-database", "pagerduty-critical", "slack-critical"
    ]


def test_the_first_matching_child_without_continue_ends_the_search() -> None:
    # slack-critical does not continue, so the later warning routes are never tried.
    assert receivers(SHIPPED, severity="critical", team="platform") == ["pagerduty-critical", "slack-critical"]


def test_an_alert_no_child_matches_goes_to_the_parent() -> None:
    assert receivers(tree(TEAMS), service="files", severity="warning") == ["files-mail"]


def test_an_alert_no_route_matches_goes_to_the_root_receiver() -> None:
    assert receivers(tree(TEAMS), service="unknown") == ["ops-mail"]


def test_a_continuing_child_that_matches_keeps_its_parent_out_even_when_its_siblings_do_not_match() -> None:
    assert receivers(tree(TEAMS), service="database", owner="team-web") == ["web-pager"]


def test_regular_expressions_are_anchored_at_both_ends() -> None:
    assert receivers(tree(FAN_OUT), severity="errors", env="staging") == ["slack"]


def test_a_negative_matcher_matches_an_alert_without_that_label() -> None:
    assert receivers(tree(FAN_OUT), severity="error") == ["slack", "sms", "night-shift"]


def test_a_route_whose_matchers_all_match_is_taken_with_its_own_receiver() -> None:
    assert receivers(tree(TEAMS), service="web-frontend", severity="critical") == ["web-pager"]


# --- inherited timers --------------------------------------------------------------------------------


def test_a_child_inherits_the_timers_it_does_not_name_from_its_parent_not_the_root() -> None:
    (route,) = routes_for(tree(TEAMS), {"service": "checkout", "severity": "critical"})

    assert (route.receiver, route.group_wait, route.group_interval, route.repeat_interval) == (
        "web-pager", timedelta(seconds=45), timedelta(minutes=2), timedelta(hours=3)
    )


def test_a_child_without_a_receiver_inherits_its_parents() -> None:
    root = tree("""
        route:
          receiver: team
          routes:
            - matchers: [severity="critical"]
              group_wait: 5s
    """)

    (route,) = routes_for(root, {"severity": "critical"})

    assert (route.receiver, route.group_wait, route.group_interval) == ("team", timedelta(seconds=5), timedelta(minutes=5))


def test_a_matched_route_names_its_path_and_every_matcher_on_the_way_down() -> None:
    (route,) = routes_for(tree(TEAMS), {"service": "files", "severity": "critical"})

    assert route.path == "route.routes[1].routes[0]"
    assert route.describe() == 'route service="files" severity="critical" -> files-pager'


def test_routes_to_finds_every_route_that_delivers_to_a_receiver() -> None:
    found = routes_to(tree(TEAMS), "web-pager")

    assert [(route.path, route.group_wait) for route in found] == [
        ("route.routes[0].routes[0]", timedelta(seconds=45)),
        ("route.routes[2].routes[0]", timedelta(minutes=1)),
    ]


# --- matcher syntax ----------------------------------------------------------------------------------


def test_one_matchers_item_may_hold_several_matchers_in_braces_with_a_quoted_comma() -> None:
    assert parse_matchers('{team!~"qa|test", summary="a, b", env = prod}', "m") == [
        Matcher("team", "!~", "qa|test"), Matcher("summary", "=", "a, b"), Matcher("env", "=", "prod")
    ]


def test_escaped_quotes_inside_a_quoted_value_are_unescaped() -> None:
    assert parse_matchers(r'msg="say \"hi\""', "m") == [Matcher("msg", "=", 'say "hi"')]


def test_a_matcher_without_an_operator_is_refused_naming_where() -> None:
    with pytest.raises(ConfigError) as raised:
        tree("""
            route:
              receiver: a
              routes:
                - receiver: b
                  matchers: [severity critical]
        """)

    assert str(raised.value) == (
        "alertmanager.yml: route.routes[0].matchers[0]: 'severity critical' is not a matcher "
        '(expected e.g. severity="critical")'
    )


def test_an_invalid_regular_expression_is_refused_naming_where() -> None:
    with pytest.raises(ConfigError) as raised:
        tree("""
            route:
              receiver: a
              routes:
                - receiver: b
                  match_re: {service: "web-("}
        """)

    assert str(raised.value).startswith("alertmanager.yml: route.routes[0].match_re: service=~'web-(' is not a valid regular expression")


def test_a_root_route_without_a_receiver_is_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        tree("route: {group_wait: 10s}")

    assert "the root route names no `receiver`" in str(raised.value)


# --- through the rendered config ---------------------------------------------------------------------


def test_the_rendered_alertmanager_settings_route_with_real_time_timers(tmp_path: Path) -> None:
    from harness.configs import render_alertmanager
    from harness.timescale import TimeScale

    source = tmp_path / "alertmanager"
    source.mkdir()
    (source / "alertmanager.yml").write_text(SEVERITIES)

    settings = render_alertmanager(source, tmp_path / "out", TimeScale(20))

    assert [(route.receiver, route.group_wait) for route in settings.routes_for({"severity": "warning"})] == [
        ("slack-warning", timedelta(minutes=1))
    ]
