"""The one YAML loader refuses files that would hurt the harness, naming the file and the line."""

import os
import time
from pathlib import Path

import pytest
from builders import write

from harness import yamlfile
from harness.errors import InvalidInput

ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
j: &j [*i,*i,*i,*i,*i,*i,*i,*i,*i]
k: &k [*j,*j,*j,*j,*j,*j,*j,*j,*j]
l: [*k,*k,*k,*k,*k,*k,*k,*k,*k]
"""


def refusal(path: Path) -> str:
    with pytest.raises(InvalidInput) as raised:
        yamlfile.load(path)
    return str(raised.value)


def test_an_alias_bomb_is_refused_quickly_at_the_line_where_it_grows(tmp_path: Path) -> None:
    path = write(tmp_path / "bomb.yml", ALIAS_BOMB)

    started = time.monotonic()
    message = refusal(path)

    assert time.monotonic() - started < 2
    assert message.startswith(f"{path}:5: aliases expand the document beyond 20000 nodes (at *d)")


def test_a_few_reused_anchors_are_read_and_each_use_is_a_copy(tmp_path: Path) -> None:
    path = write(tmp_path / "anchors.yml", """
        defaults: &defaults {group_wait: 30s}
        routes:
          - <<: *defaults
            receiver: a
          - *defaults
          - *defaults
    """)

    data, _ = yamlfile.load(path)
    data["routes"][1]["group_wait"] = "1s"

    assert data["routes"][2] == {"group_wait": "30s"}
    assert data["routes"][0] == {"group_wait": "30s", "receiver": "a"}


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "loop.yml", "a: &a\n  - *a\n")

    assert refusal(path) == f"{path}:2: alias *a is inside the node it names (a recursive alias)"


def test_a_list_nested_fifty_thousand_deep_is_refused_without_recursing(tmp_path: Path) -> None:
    path = tmp_path / "deep.yml"
    path.write_text("a: " + "[" * 50_000 + "]" * 50_000 + "\n")

    assert refusal(path) == f"{path}:1: nested deeper than 100 levels"


def test_nesting_made_deep_by_aliases_is_refused(tmp_path: Path) -> None:
    deep = "[" * 60 + "1" + "]" * 60
    path = write(tmp_path / "deep.yml", f"a: &a {deep}\nb: &b [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n")

    assert "nested deeper than 100 levels once its aliases are expanded" in refusal(path)


def test_a_duplicate_key_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", """
        name: s
        baseline: 1m
        expectations: [{type: no_alerts}]
        baseline: 2m
    """)

    assert refusal(path) == (
        f"{path}:4: baseline: duplicate key (first at line 2); YAML would keep only the last value. "
        "Hint: remove or rename one of them"
    )


def test_a_merge_key_overridden_by_the_mapping_is_not_a_duplicate(tmp_path: Path) -> None:
    path = write(tmp_path / "merge.yml", "base: &base {a: 1}\nthis:\n  <<: *base\n  a: 2\n")

    assert yamlfile.load(path)[0]["this"] == {"a": 2}


def test_a_file_with_a_nul_byte_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_bytes(b"name: s\nexpectations: \x00\n")

    assert refusal(path) == (
        f"{path}:2: binary data (a NUL byte at offset 22). Hint: a config file is text; is it the right file?"
    )


def test_a_utf16_file_is_refused_with_a_hint_to_save_it_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_bytes("name: s\n".encode("utf-16"))

    assert refusal(path) == f"{path}:1: UTF-16 text (it starts with a UTF-16 byte-order mark). Hint: save the file as UTF-8."


def test_a_utf16_file_without_a_byte_order_mark_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_bytes("name: s\n".encode("utf-16-le"))

    assert "it looks like UTF-16 text; save it as UTF-8" in refusal(path)


def test_latin1_text_is_not_utf8_and_the_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_bytes("name: s\ndescription: caf\u00e9\n".encode("latin-1"))

    assert refusal(path).startswith(f"{path}:2: not UTF-8 text (byte 0xe9 at offset 24")


def test_a_control_character_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_bytes(b"name: s\nx: a\x07b\n")

    assert refusal(path).startswith(f"{path}:2: character U+0007 is not allowed in YAML")


def test_a_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_bytes(b"\xef\xbb\xbfname: s\n")

    assert yamlfile.load(path)[0] == {"name": "s"}


def test_a_file_beyond_the_size_limit_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "big.yml"
    with path.open("wb") as stream:
        stream.truncate(yamlfile.MAX_BYTES + 1)

    assert refusal(path).startswith(f"{path}: larger than 5 MiB")


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    assert refusal(tmp_path) == f"{tmp_path}: is a folder, not a file. Hint: name the file in it."


def test_a_symlink_loop_is_named(tmp_path: Path) -> None:
    path = tmp_path / "loop.yml"
    os.symlink(path, path)

    assert refusal(path) == f"{path}: a symlink loop (the link leads back to itself); give a real file"


def test_a_missing_file_and_a_dangling_symlink(tmp_path: Path) -> None:
    dangling = tmp_path / "dangling.yml"
    os.symlink(tmp_path / "nowhere.yml", dangling)

    assert refusal(tmp_path / "missing.yml") == f"{tmp_path / 'missing.yml'}: file not found"
    assert refusal(dangling) == f"{dangling}: file not found (a symlink to nowhere)"


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "pipe.yml"
    os.mkfifo(path)

    assert refusal(path).startswith(f"{path}: not a regular file")


def test_a_second_document_where_one_is_expected_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "two.yml", "a: 1\n---\nb: 2\n")

    assert refusal(path).startswith(f"{path}:3:")
    assert "a second document (after `---`), where the harness reads one" in refusal(path)


def test_a_python_tag_is_refused_as_invalid_yaml(tmp_path: Path) -> None:
    path = write(tmp_path / "tag.yml", "a: !!python/object/apply:os.system [echo hi]\n")

    assert refusal(path).startswith(f"{path}:1:4: invalid YAML: could not determine a constructor")


def test_a_mapping_key_that_is_a_list_does_not_break_the_line_index(tmp_path: Path) -> None:
    path = write(tmp_path / "key.yml", "? [a, b]\n: 1\n")

    assert "unhashable" in refusal(path)


def test_a_document_with_more_values_than_any_config_needs_is_refused_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(yamlfile, "MAX_NODES", 100)
    path = write(tmp_path / "many.yml", "a: [" + ", ".join(["1"] * 200) + "]\n")

    assert refusal(path).startswith(f"{path}:1: more than 100 values in one document")


def test_a_nul_character_written_as_an_escape_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", 'name: "a\\0b"\n')

    assert refusal(path).startswith(f"{path}:1: a NUL character")
