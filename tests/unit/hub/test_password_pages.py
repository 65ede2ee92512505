"""The two password forms show each of their messages in both languages, the shared ones from
password-messages.html with the page's minimum length filled in."""

from pathlib import Path

import jinja2
import pytest

import mnss_hub

TEMPLATES = Path(mnss_hub.__file__).parent / "templates"
ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader(
        [jinja2.DictLoader({"page.html": "{% block main %}{% endblock %}"}), jinja2.FileSystemLoader(TEMPLATES)]
    ),
    undefined=jinja2.StrictUndefined,
)
COMMON = {
    "passwords-differ": "The two new passwords differ.",
    "password-too-short": "at least 12 characters",
    "password-too-long": "at most 72 bytes",
    "disk-full": "the password was not changed",
}


def render(page: str, message: str, **values) -> str:
    context = {"base_url": "/hub/", "xsrf": "x", "min_length": 12, "message": message, "ok": False, **values}
    return ENV.get_template(page).render(**context)


@pytest.mark.parametrize(
    "page, own",
    [
        (
            "change-password.html",
            {"wrong-current-password": "current password is wrong", "password-changed": "been changed"},
        ),
        ("set-password.html", {"expired": "This form has expired"}),
    ],
)
def test_every_message_in_both_languages(page, own):
    for message, english in {**COMMON, **own}.items():
        html = render(page, message, token="t", next="/hub/")
        assert f'data-message="{message}"' in html and english in html, (page, message)
        assert '<span class="i18n" lang="zh-CN">' in html.split('id="mnss-message"')[1].split("</p>")[0]
    assert "至少需要 12 个字符" in render(page, "password-too-short", token="t", next="/")


def test_a_success_is_shown_as_one():
    assert "alert-success" in render("change-password.html", "password-changed", ok=True)
    assert "alert-danger" in render("set-password.html", "passwords-differ", token="t", next="/")
