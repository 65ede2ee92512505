"""The hub's login form driven over HTTP, as a browser would, with the first-login step."""

from __future__ import annotations

import re

import requests


def xsrf_of(page: requests.Response) -> str:
    return re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)


def post_login(web: requests.Session, url: str, name: str, password: str) -> requests.Response:
    form = web.get(url + "hub/login", timeout=10)
    return web.post(
        url + "hub/login",
        data={"username": name, "password": password, "_xsrf": xsrf_of(form)},
        allow_redirects=False,
        timeout=30,
    )


def set_password(
    web: requests.Session,
    url: str,
    form_page: requests.Response,
    new: str,
    repeat: str | None = None,
    *,
    xsrf_page: requests.Response | None = None,
) -> requests.Response:
    """Submit the "choose your password" form that a one-time password leads to; `xsrf_page`: a
    page of `web`'s own whose form token goes with it (another browser replaying the form)."""
    token = re.search(r'name="token" value="([^"]*)"', form_page.text).group(1)
    return web.post(
        url + "hub/set-password",
        allow_redirects=False,
        timeout=30,
        data={
            "_xsrf": xsrf_of(xsrf_page or form_page),
            "token": token,
            "new_password": new,
            "repeat_password": new if repeat is None else repeat,
        },
    )


def first_login(url: str, name: str, one_time: str, new: str) -> tuple[requests.Session, requests.Response]:
    """Log in with a one-time password and replace it: a logged-in session and the redirect."""
    web = requests.Session()
    form = post_login(web, url, name, one_time)
    assert form.status_code == 200 and 'action="/hub/set-password"' in form.text, form.text[:500]
    done = set_password(web, url, form, new)
    assert done.status_code == 302, done.text[:500]
    return web, done
