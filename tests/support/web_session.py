"""A family or agent signed in to the web pages over plain HTTP, as a browser without JavaScript does: the sign-in
form's CSRF token, then the form posted (the session cookie stays in the returned `requests.Session`)."""

from __future__ import annotations

import re

import requests

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in_session(base_url: str, login: str, password: str, timeout: float = 30) -> requests.Session:
    browser = requests.Session()
    form = browser.get(base_url + "/connexion", timeout=timeout)
    token = CSRF.search(form.text)
    assert token is not None, f"no CSRF token on the sign-in page: {form.text[:500]}"
    signed = browser.post(
        base_url + "/connexion",
        data={"csrf_token": token.group(1), "login": login, "password": password},
        timeout=timeout,
        allow_redirects=False,
    )
    assert signed.status_code == 303, f"sign-in failed: {signed.status_code} {signed.text[:500]}"
    return browser
