"""Checks a site installed by README's Production recipe, as its TLS proxy would reach it.

Every request goes to gunicorn over loopback HTTP with the public ``Host`` and the proxy's
``X-Forwarded-Proto: https``; the visitor's side is https, so cookies marked Secure are kept and
sent back (curl would drop them over http). Run by ``.ci/run production`` after the recipe and
``seed_demo``; stdlib only, so it needs nothing from the virtualenv under test.

    python3 .ci/production_check.py --url http://127.0.0.1:8000 --host crm.example.cn \
        pages --admin admin        (its password in PRODUCTION_ADMIN_PASSWORD)
    python3 .ci/production_check.py --url ... --host ... heartbeat --after 2026-12-07T15:00:00+08:00

Exit status 0 when every check passed; otherwise 1, after one line naming what failed.
"""

import argparse
import http.client
import json
import os
import re
import sys
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from http.cookies import SimpleCookie

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (README's published demo password)
# whitenoise's headers for a file whose name carries its hash: ten years, never revalidated.
IMMUTABLE = re.compile(r"max-age=315360000\b.*\bimmutable|immutable.*\bmax-age=315360000\b")
HASHED_STATIC = re.compile(r"""(?:href|src)="(/static/[^"?#]+\.[0-9a-f]{12}\.(?:css|js))\"""")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class CheckFailed(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


class Visitor:
    """One browser behind the proxy: its own cookies, each request as the proxy forwards it."""

    def __init__(self, url: str, host: str) -> None:
        self.address = urllib.parse.urlsplit(url)
        self.host = host
        self.origin = f"https://{host}"
        self.cookies: dict[str, str] = {}
        self.cookie_flags: dict[str, set[str]] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        proxied: bool = True,
    ) -> Response:
        sent = {"Host": self.host, "Accept-Language": "en", **(headers or {})}
        if proxied:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            sent |= {
                "Content-Type": "application/x-www-form-urlencoded",
                # Django's CSRF check on https wants a same-origin Origin or Referer.
                "Origin": self.origin,
                "Referer": self.origin + path,
            }
        connection = http.client.HTTPConnection(
            self.address.hostname, self.address.port, timeout=30
        )
        try:
            connection.request(method, path, body=body, headers=sent)
            raw = connection.getresponse()
            response = Response(raw.status, raw.headers, raw.read())
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self._keep_cookie(header)
        return response

    def _keep_cookie(self, header: str) -> None:
        for name, morsel in SimpleCookie(header).items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
                continue
            self.cookies[name] = morsel.value
            self.cookie_flags[name] = {flag for flag in ("secure", "httponly") if morsel[flag]} | (
                {f"samesite={morsel['samesite'].lower()}"} if morsel["samesite"] else set()
            )

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def follow(self, path: str, hops: int = 5) -> tuple[str, Response]:
        """GET ``path`` and the same-site redirects after it: the last path and response."""
        for _ in range(hops):
            response = self.get(path)
            if response.status not in {301, 302, 303, 307, 308}:
                return path, response
            path = self.local_path(response.header("Location"))
        raise CheckFailed(f"more than {hops} redirects from {path}")

    def local_path(self, location: str) -> str:
        target = urllib.parse.urlsplit(location)
        if target.netloc and (target.scheme, target.netloc) != ("https", self.host):
            raise CheckFailed(f"redirect away from https://{self.host}: {location}")
        return urllib.parse.urlunsplit(("", "", target.path, target.query, ""))

    def sign_in(self, login_path: str, username: str, password: str, **fields: str) -> Response:
        page = self.get(login_path)
        expect(page.status == 200, f"GET {login_path}: {page.status}, not 200")
        token = CSRF_FIELD.search(page.text)
        expect(token is not None, f"{login_path}: no CSRF token in the sign-in form")
        expect_cookie(self, "csrftoken", {"secure"})
        form = {"csrfmiddlewaretoken": token[1], "username": username, "password": password}
        response = self.request("POST", login_path, form=form | fields)
        expect(
            response.status == 302,
            f"POST {login_path} as {username}: {response.status}, not 302 (wrong password, CSRF?)",
        )
        expect_cookie(self, "sessionid", {"secure", "httponly"})
        return response


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def expect_cookie(visitor: Visitor, name: str, flags: set[str]) -> None:
    expect(name in visitor.cookies, f"no {name} cookie was set")
    missing = flags - visitor.cookie_flags[name]
    expect(not missing, f"the {name} cookie lacks {', '.join(sorted(missing))}")


def ok(message: str) -> None:
    print(f"ok: {message}", flush=True)


# --- The checks ------------------------------------------------------------------------------


def check_health(visitor: Visitor) -> dict:
    response = visitor.get("/healthz")
    expect(response.status == 200, f"/healthz: {response.status}, not 200: {response.text}")
    body = json.loads(response.body)
    for part in ("database", "broker"):
        expect(body["checks"][part]["ok"], f"/healthz: the {part} does not answer: {body}")
    return body


def check_plain_http_redirects(url: str, host: str) -> None:
    # Without the proxy's header the request came in over http: it must go to https.
    response = Visitor(url, host).get("/accounts/login/", proxied=False)
    expect(
        response.status == 301 and response.header("Location") == f"https://{host}/accounts/login/",
        f"plain http: {response.status} {response.header('Location')!r}, not 301 to https",
    )
    ok("plain http is redirected to https; the proxy's X-Forwarded-Proto makes a request secure")


def check_static(visitor: Visitor, page_path: str, page: Response) -> list[str]:
    """Every hashed file the page names is served by whitenoise, compressed, cached for good."""
    names = sorted(set(HASHED_STATIC.findall(page.text)))
    expect(
        any(re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", name) for name in names),
        f"{page_path} names no hashed /static/css/site.<hash>.css (manifest storage?)",
    )
    for name in names:
        response = visitor.get(name, headers={"Accept-Encoding": "br, gzip"})
        expect(response.status == 200, f"{name}: {response.status}, not 200")
        cache = response.header("Cache-Control")
        expect(IMMUTABLE.search(cache) is not None, f"{name}: Cache-Control {cache!r}")
        expect(
            response.header("Content-Encoding") in {"br", "gzip"},
            f"{name}: not served compressed ({response.header('Content-Encoding')!r})",
        )
    return names


def check_source_map(visitor: Visitor, names: list[str]) -> None:
    """The manifest storage rewrote Chart.js's sourceMappingURL to the hashed, vendored map."""
    chart = next((name for name in names if "/vendor/chartjs/chart.umd." in name), None)
    expect(chart is not None, "the staff page names no hashed Chart.js")
    script = visitor.get(chart).text
    mapping = re.search(r"//# sourceMappingURL=(chart\.umd\.js\.[0-9a-f]{12}\.map)\s*$", script)
    expect(mapping is not None, f"{chart}: sourceMappingURL does not name the hashed map")
    map_path = chart.rsplit("/", 1)[0] + "/" + mapping[1]
    response = visitor.get(map_path)
    expect(response.status == 200, f"{map_path}: {response.status}, not 200")
    ok(f"Chart.js names its source map {mapping[1]}, served 200")


def check_signed_in_page(url: str, host: str, username: str, page_path: str) -> list[str]:
    """``username`` signs in and lands on ``page_path``: the hashed static files it names."""
    visitor = Visitor(url, host)
    visitor.sign_in("/accounts/login/", username, DEMO_PASSWORD)
    landed, page = visitor.follow("/")
    expect(landed == page_path, f"{username} landed on {landed}, not {page_path}")
    expect(page.status == 200, f"{page_path} as {username}: {page.status}, not 200")
    names = check_static(visitor, page_path, page)
    ok(f"{username} signed in: {page_path} 200, {len(names)} hashed static files served")
    return names


def check_admin(url: str, host: str, username: str, password: str) -> None:
    visitor = Visitor(url, host)
    response = visitor.sign_in("/admin/login/?next=/admin/", username, password, next="/admin/")
    expect(
        visitor.local_path(response.header("Location")) == "/admin/",
        f"admin sign-in went to {response.header('Location')!r}, not /admin/",
    )
    page = visitor.get("/admin/")
    expect(page.status == 200, f"/admin/ as {username}: {page.status}, not 200")
    expect('action="/admin/logout/"' in page.text, f"/admin/ as {username} is not the index")
    ok(f"the first administrator {username} signed in to /admin/")


def check_heartbeat(visitor: Visitor, after: datetime, timeout: float) -> None:
    """Beat scheduled the heartbeat and a worker ran it, later than ``after``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # /healthz says "degraded" while the heartbeat is missing or stale: keep asking.
        response = visitor.get("/healthz")
        heartbeat = json.loads(response.body).get("checks", {}).get("worker") or {}
        worker, seen = heartbeat.get("worker") or "", heartbeat.get("last_seen_at")
        if worker.startswith("celery@") and seen and datetime.fromisoformat(seen) > after:
            expect(response.status == 200, f"/healthz {response.status} with a fresh heartbeat")
            ok(f"scheduled heartbeat ran on {worker} at {seen}; /healthz 200")
            return
        time.sleep(3)
    raise CheckFailed(f"no worker heartbeat after {after.isoformat()} within {timeout:g} s")


def check_pages(args: argparse.Namespace) -> None:
    visitor = Visitor(args.url, args.host)
    check_health(visitor)
    ok("/healthz 200: database and broker answer")
    check_plain_http_redirects(args.url, args.host)
    check_signed_in_page(args.url, args.host, args.customer, args.customer_page)
    names = check_signed_in_page(args.url, args.host, args.staff, args.staff_page)
    check_source_map(visitor, names)
    login = visitor.get("/admin/login/")
    expect(login.status == 200, f"/admin/login/: {login.status}, not 200")
    ok("the admin login page renders")
    check_admin(args.url, args.host, args.admin, os.environ["PRODUCTION_ADMIN_PASSWORD"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="gunicorn's address, http://127.0.0.1:PORT")
    parser.add_argument("--host", required=True, help="the public host name (in ALLOWED_HOSTS)")
    checks = parser.add_subparsers(dest="check", required=True)
    pages = checks.add_parser("pages", help="signed-in pages, static files, the admin")
    pages.add_argument("--admin", required=True, help="the first administrator's user name")
    pages.add_argument("--customer", default="customer1")
    pages.add_argument("--customer-page", default="/my/")
    pages.add_argument("--staff", default="supervisor")
    pages.add_argument("--staff-page", default="/workspace/supervisor/")
    heartbeat = checks.add_parser("heartbeat", help="wait for a worker's scheduled heartbeat")
    heartbeat.add_argument(
        "--after", type=datetime.fromisoformat, required=True, help="ISO time with offset"
    )
    heartbeat.add_argument("--timeout", type=float, default=180, help="seconds")
    args = parser.parse_args()
    try:
        if args.check == "pages":
            check_pages(args)
        else:
            check_heartbeat(Visitor(args.url, args.host), args.after, args.timeout)
    except (CheckFailed, OSError, ValueError, KeyError) as exc:
        print(f"FAILED: {exc}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
