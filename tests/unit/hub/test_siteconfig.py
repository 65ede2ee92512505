"""The site config: defaults fill in, and every kind of mistake is named precisely."""

import time

import pytest

from mnss_hub import siteconfig
from mnss_hub.siteconfig import ConfigError


def write(tmp_path, text):
    path = tmp_path / "mnss.yaml"
    path.write_text(text, "utf-8")
    return path


def problems(tmp_path, text):
    with pytest.raises(ConfigError) as info:
        siteconfig.load(write(tmp_path, text))
    return info.value.problems


def test_embedded_defaults_are_local_mode_on_loopback():
    site = siteconfig.load(None)
    assert site["mode"] == "local"
    assert site["hub"]["ip"] == "127.0.0.1" and site["hub"]["port"] == 8000
    assert site["hub"]["default_language"] == "zh-CN"
    assert site["spawn"]["default_url"] == "/lab"


def test_an_explicit_empty_mapping_means_defaults(tmp_path):
    assert siteconfig.load(write(tmp_path, "{}\n")) == siteconfig.load(None)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_an_empty_file_is_an_error_that_says_how_to_mean_defaults(tmp_path, text):
    assert problems(tmp_path, text) == [
        "the file is empty (or only comments); write {} in it to mean all defaults on purpose"
    ]


def test_non_utf8_file_names_the_file_and_the_byte_offset(tmp_path):
    path = tmp_path / "mnss.yaml"
    path.write_bytes("hub:\n  admin_users: [管理员]\n".encode("gb18030"))
    with pytest.raises(ConfigError) as info:
        siteconfig.load(path)
    assert str(path) in str(info.value)
    assert info.value.problems[0].startswith("not UTF-8 text: byte 0xb9 at offset 21 (invalid start byte)")


def test_a_huge_file_is_refused_quickly_with_a_short_message(tmp_path):
    path = tmp_path / "mnss.yaml"
    path.write_text("hub:\n" + "  # padding\n" * 500_000)  # about 6 MB
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        siteconfig.load(path)
    assert time.monotonic() - started < 2
    assert info.value.problems == ["file is larger than 1024 KiB; a site config is a few KiB"]
    assert len(str(info.value)) < 300


def alias_bomb(levels: int) -> str:
    """A few lines that expand to 9 * 4**levels strings under hub.admin_users."""
    lines = ["x:", '  a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(levels):
        lower, name = chr(97 + i), chr(98 + i)
        lines.append(f"  {name}: &{name} [*{lower}, *{lower}, *{lower}, *{lower}]")
    return "\n".join([*lines, f"hub:\n  admin_users: *{chr(97 + levels)}\n"])


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    started = time.monotonic()
    found = problems(tmp_path, alias_bomb(9))  # 2.4 million strings; each level more is 4 times that
    assert time.monotonic() - started < 1
    assert found == [
        "line 3, column 10: not valid YAML (aliases (*name) are not allowed in the site config; write the value out)"
    ]


def test_given_values_are_kept_and_siblings_defaulted(tmp_path):
    site = siteconfig.load(write(tmp_path, "hub:\n  port: 9000\n"))
    assert site["hub"]["port"] == 9000
    assert site["hub"]["hub_port"] == 8081


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    (msg,) = problems(tmp_path, "hub:\n  prot: 80\n")
    assert msg.startswith("hub.prot: unknown key (did you mean 'port'?)")
    assert "allowed keys here:" in msg


def test_unknown_top_level_key(tmp_path):
    (msg,) = problems(tmp_path, "moed: local\n")
    assert msg.startswith("moed: unknown key (did you mean 'mode'?)")


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param(
            "mode: dockr\n",
            "mode: 'dockr' is not allowed; allowed values: local, docker, swarm",
            id="bad mode lists the allowed modes",
        ),
        pytest.param(
            "hub:\n  port: eighty\n",
            "hub.port: 'eighty' is a string, expected integer",
            id="wrong type names key, value and expected type",
        ),
        pytest.param("hub:\n  port: 70000\n", "hub.port: 70000 is out of range; must be <= 65535", id="out of range"),
        pytest.param("hub:\n  ip: 300.1.2.3\n", "hub.ip: '300.1.2.3' is not a valid ipv4 address", id="bad ip address"),
    ],
)
def test_a_bad_value_is_named_with_what_is_allowed(tmp_path, text, message):
    (msg,) = problems(tmp_path, text)
    assert msg == message


def test_bad_pattern_explains_the_form(tmp_path):
    (msg,) = problems(tmp_path, "hub:\n  base_url: lab\n")
    assert msg.startswith("hub.base_url: 'lab' has the wrong form") and "starts and ends with '/'" in msg


def test_all_problems_are_reported_at_once(tmp_path):
    found = problems(tmp_path, "mode: x\nhub:\n  port: x\n  ip: 1\nauth:\n  type: ldap\n")
    assert [p.split(":")[0] for p in found] == ["auth.type", "hub.ip", "hub.port", "mode"]


def test_yaml_syntax_error_names_the_line(tmp_path):
    (msg,) = problems(tmp_path, "hub:\n  port: 80\n   ip: [\n")
    assert msg.startswith("line 3, column") and "not valid YAML" in msg


def test_top_level_must_be_a_mapping(tmp_path):
    (msg,) = problems(tmp_path, "- local\n")
    assert msg == "top level must be a mapping of keys, not a list"


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        siteconfig.load(tmp_path / "nope.yaml")


def test_error_message_names_the_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        siteconfig.load(write(tmp_path, "mode: 3\n"))
    assert str(tmp_path / "mnss.yaml") in str(info.value)


def test_resolution_order(tmp_path, monkeypatch):
    monkeypatch.delenv(siteconfig.ENV_VAR, raising=False)
    assert siteconfig.resolve_path(cwd=tmp_path) in (None, siteconfig.SYSTEM_PATH)
    local = write(tmp_path, "")
    assert siteconfig.resolve_path(cwd=tmp_path) == local
    monkeypatch.setenv(siteconfig.ENV_VAR, str(tmp_path / "other.yaml"))
    assert siteconfig.resolve_path(cwd=tmp_path) == tmp_path / "other.yaml"
    assert siteconfig.resolve_path("x.yaml", cwd=tmp_path).name == "x.yaml"


def test_learner_containers_are_limited_by_default(tmp_path):
    docker = siteconfig.load(None)["docker"]
    assert (docker["mem_limit"], docker["cpu_limit"], docker["pids_limit"]) == ("2G", 1.0, 2048)
    given = siteconfig.load(write(tmp_path, "docker:\n  mem_limit: 1536M\n  cpu_limit: 0.5\n  pids_limit: 300\n"))
    assert (given["docker"]["mem_limit"], given["docker"]["cpu_limit"], given["docker"]["pids_limit"]) == (
        "1536M",
        0.5,
        300,
    )


@pytest.mark.parametrize(
    "text, start",
    [
        ("docker:\n  mem_limit: 2GB\n", "docker.mem_limit: '2GB' has the wrong form"),
        ("docker:\n  mem_limit: '0'\n", "docker.mem_limit: '0' has the wrong form"),
        ("docker:\n  mem_limit: 100M\n", "docker.mem_limit: '100M' has the wrong form"),
        ("docker:\n  cpu_limit: 0\n", "docker.cpu_limit: 0 is out of range; must be >= 0.1"),
        ("docker:\n  cpu_limit: one\n", "docker.cpu_limit: 'one' is a string, expected number"),
        ("docker:\n  pids_limit: 10\n", "docker.pids_limit: 10 is out of range; must be >= 64"),
    ],
)
def test_a_bad_container_limit_is_named_with_what_is_allowed(tmp_path, text, start):
    (msg,) = problems(tmp_path, text)
    assert msg.startswith(start), msg
    if "wrong form" in msg:
        assert "at least 256M, e.g. '2G' or '1536M'" in msg
