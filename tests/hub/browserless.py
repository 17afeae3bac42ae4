"""A person using the hub over HTTP, as a browser would (cookies, XSRF), without a browser."""

from __future__ import annotations

import re
import time
from typing import Any

import requests


class Person:
    def __init__(self, url: str, name: str) -> None:
        self.url = url.rstrip("/") + "/"
        self.name = name
        self.http = requests.Session()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", True)
        return self.http.get(self.url + path.lstrip("/"), **kwargs)

    def sign_in(self, password: str) -> requests.Response:
        """POST the hub's login form; the response is the page it lands on (or the form again)."""
        page = self.get("hub/login")
        xsrf = self.http.cookies.get("_xsrf") or _field(page.text, "_xsrf")
        return self.http.post(self.url + "hub/login", data={"username": self.name, "password": password,
                                                           "_xsrf": xsrf or ""}, timeout=120, allow_redirects=True)

    def xsrf(self) -> str:
        return self.http.cookies.get("_xsrf", path="/hub/") or self.http.cookies.get("_xsrf") or ""

    def start_server(self, timeout: float = 180) -> None:
        """Ask the hub for this person's server and wait until it answers."""
        self.get("hub/spawn")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # the server's own page: completes its OAuth with the hub, so its API takes our cookie after
            r = self.get(f"user/{self.name}/lab")
            if r.status_code == 200 and f"/user/{self.name}/lab" in r.url:
                return
            time.sleep(1.0)
        raise TimeoutError(f"{self.name}'s server did not start within {timeout:.0f} s")


def _field(html: str, name: str) -> str | None:
    m = re.search(rf'name="{name}"\s+value="([^"]*)"', html) or re.search(rf'value="([^"]*)"\s+name="{name}"', html)
    return m.group(1) if m else None
