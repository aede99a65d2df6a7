"""Whatever text a rule holds, compression answers with a result or a located error, never a traceback."""

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.compression.rewrite import compress_expression
from harness.compression.structure import PromQLError
from harness.timescale import TimeScale

PIECES = st.sampled_from([
    "rate(", "increase(", "time()", " - ", " > ", " and ", " or ", "x", "y_total", "{", "}", "[", "]", "(", ")", ":",
    "5m", "1h30m", "750ms", " offset ", "-", "@ ", "start()", "1e3", "0x1f", '"a\\"b"', "'q'", "`r\\aw`", '"\\\\."',
    "# note\n", "\n", "le=~", ",", "by (job) ", "sum ", "holt_winters(", "hour()", "é", "0.5", "bool ", "on() ",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=14).map("".join), st.sampled_from([1.0, 10.0, 40.0, 2.5]))
def test_promql_like_text_is_rewritten_or_refused_with_its_place(text: str, factor: float) -> None:
    try:
        compressed = compress_expression(text, TimeScale(factor), "rules.yml:3: groups[0] (g).rules[0] (A).expr")
    except PromQLError as error:
        assert str(error).startswith("rules.yml:3: groups[0] (g).rules[0] (A).expr")
    else:
        assert compressed.fidelity in ("exact", "adjusted", "real-time only")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_at_all_is_rewritten_or_refused(text: str) -> None:
    try:
        compress_expression(text, TimeScale(40), "rules.yml:3: expr")
    except PromQLError as error:
        assert "rules.yml:3: expr" in str(error)
