"""The hub-to-server settings contract: what the hub writes is what the server reads."""

import pytest

from mnss_foundation.server_settings import ENV, ServerSettings, SettingsError


def test_round_trip_through_the_environment():
    settings = ServerSettings(
        recommender_url="http://127.0.0.1:8083/services/mnss-recommender/",
        activity_flush_seconds=2.5,
        exchange_url="http://127.0.0.1:8084/services/mnss-exchange/",
        courses_dir="/opt/mnss/courses",
        max_nodes=200,
        max_links=400,
        lab_pids_limit=512,
        lab_mem_limit=1 << 30,
        lab_language="en",
        formgrader_urls="hospital-lan=http://172.29.0.1:8104/services/formgrader-hospital-lan/",
        tunnel_allow="10.20.0.0/24:104,11112",
        tunnel_rate_mbit=2.5,
        tunnel_audit_log="/var/log/mnss/tunnel.jsonl",
    )
    env = settings.to_env()
    assert set(env) == set(ENV.values())
    assert env["MNSS_ACTIVITY_FLUSH_SECONDS"] == "2.5" and env["MNSS_MAX_NODES"] == "200"
    assert env["MNSS_LAB_MEM_LIMIT"] == str(1 << 30)
    assert ServerSettings.from_env(env) == settings


def test_only_what_differs_from_the_defaults_is_written_so_partial_settings_merge():
    assert ServerSettings().to_env() == {}
    assert ServerSettings(courses_dir="/srv/courses").to_env() == {"MNSS_COURSES_DIR": "/srv/courses"}
    merged = {**ServerSettings(max_nodes=5).to_env(), **ServerSettings(lab_language="zh-CN").to_env()}
    assert ServerSettings.from_env(merged) == ServerSettings(max_nodes=5, lab_language="zh-CN")


def test_an_instructors_server_finds_the_formgraders_of_her_courses_only():
    urls = {"lan": "http://172.29.0.1:8104/services/formgrader-lan/", "py": "http://172.29.0.1:8105/p"}
    settings = ServerSettings.from_env(ServerSettings(formgrader_urls=ServerSettings.formgrader_entries(urls)).to_env())
    assert settings.formgrader_url("lan") == urls["lan"]
    assert settings.formgrader_url("py") == "http://172.29.0.1:8105/p/"  # a base URL ends with /
    assert settings.formgrader_url("la") == "" and settings.formgrader_url("other") == ""
    assert ServerSettings().formgrader_url("lan") == ""


def test_recommender_api_urls_from_the_base_url():
    base = ServerSettings(recommender_url="http://127.0.0.1:8083/services/mnss-recommender/")
    assert base.recommender_api("events") == "http://127.0.0.1:8083/services/mnss-recommender/api/events"
    assert base.recommender_api("me") == "http://127.0.0.1:8083/services/mnss-recommender/api/me"
    assert ServerSettings().recommender_api("me") == ""


@pytest.mark.parametrize(
    "variable, value, says",
    [
        ("MNSS_MAX_NODES", "lots", "is not a whole number"),
        ("MNSS_MAX_LINKS", "-1", "must not be negative"),
        ("MNSS_ACTIVITY_FLUSH_SECONDS", "0", "must be a positive number"),
        ("MNSS_ACTIVITY_FLUSH_SECONDS", "soon", "is not a number"),
    ],
)
def test_a_malformed_variable_is_named_with_its_value(variable, value, says):
    with pytest.raises(SettingsError, match=rf"\${variable}='{value}' {says}"):
        ServerSettings.from_env({variable: value})
