"""Every page of the demo, in Tajik, Russian and English, served in **production mode** and loaded over an
emulated slow link (default 250 kbit/s down and up, 300 ms round trip): its weight (bytes on the wire,
compressed, with its CSS and JS) and how long it takes to become readable, on a first visit (empty cache) and
on the next (stylesheet and script cached).

    uv run python benchmarks/page_weight.py [--kbit 250] [--rtt 300] [--runs 3] [--jobs 3]
                                            [--roles guest,partner,admin] [--langs tg,ru,en] [--only REGEX]

1. Builds the demo in a temporary directory (``HAMKORI_ENV=development``, ``hamkori demo --no-serve``) with a
   generated ``HAMKORI_DATA_KEY``.
2. Serves it in production mode: ``HAMKORI_ENV=production``, a generated ``SECRET_KEY``, the same data key,
   ``ALLOWED_HOSTS=127.0.0.1``, ``HAMKORI_SSL_REDIRECT=false``; ``hamkori collectstatic`` (whitenoise's
   compressed, hashed files), then ``hamkori serve 127.0.0.1:PORT`` (gunicorn).
3. Checks the headers: the stylesheet and htmx come compressed (``Content-Encoding: br``) with a far-future
   ``Cache-Control``, pages come gzipped.
4. Signs in as the Vanj partner and as the administrator (second factor from ``hamkori totp-code``) and lists
   every page each can open, like a sitemap: every GET route of the URL configuration with real demo ids
   (programme, person, group, user, place), kept if it answers 200 with HTML. Plus the pages of a visitor who
   has not signed in ("guest").
5. Loads each page in each language ``--runs`` times: cold (new browser context, empty cache) and then warm
   (same context, the stylesheet and script cached by the cold visit; the HTML is fetched again), under
   ``Network.emulateNetworkConditions``. Bytes = the sum of ``Network.loadingFinished.encodedDataLength``
   (headers and compressed bodies) of the visit; readable = first contentful paint.

Prints a table (page x language x role: KB, cold and warm readable time, cold load time; medians) and a
summary; exits 1 when a page weighs over 60 KB (1 KB = 1000 bytes) cold, or is readable after 3 s cold or
1.5 s warm (``--max-kb``, ``--max-cold``, ``--max-warm``).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the benchmarks package beside it
    sys.path.insert(0, str(ROOT))
from benchmarks.slow_link import ARGS  # noqa: E402  (Chromium's flags for this closed network)

DOMAIN = "hamkori.example"
PASSWORD = "hamkori-demo-2018"  # noqa: S105 (the demo's printed password)
LANGS = ("tg", "ru", "en")

# Route segments never listed: not pages (API, exports, language switch, sign-out) or needing a secret.
SKIP = re.compile(r"^(api/|i18n/|healthz)|export\.|template\.|/logout/|<(str:token|key|uidb36|str:fmt)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sh(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(["uv", "run", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def routes() -> list[str]:
    """Every route of the URL configuration as a template: ``p/<slug:code>/people/<int:pk>/``."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hamkori.config.settings")
    django.setup()
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            route = getattr(p.pattern, "_route", None)
            if route is None:  # re_path: not a page of ours
                continue
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(route))
            elif isinstance(p, URLPattern):
                found.append(prefix + str(route))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def fill(route: str, ids: dict[str, str]) -> str | None:
    """The route with the demo's ids, or None when one is unknown or the route is not a page."""
    if SKIP.search(route):
        return None

    def value(m: re.Match[str]) -> str:
        name = m.group(2)
        key = {"code": "place" if route.startswith("places/") else "programme"}.get(name, name)
        if key == "pk":
            key = "group" if "/groups/" in route else "person"
        if key not in ids:
            raise KeyError(key)
        return ids[key]

    try:
        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)
    except KeyError:
        return None


def first(pattern: str, html: str) -> str | None:
    m = re.search(pattern, html)
    return m.group(1) if m else None


def sign_in(base: str, email: str, code: Any, pw: Any) -> tuple[dict[str, Any], str]:
    """Signs in (password, then the second factor); returns the storage state and where it landed."""
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.locator("#id_code").fill(code())
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/" not in url)
    state, landed = context.storage_state(), page.url
    browser.close()
    return state, landed


def sitemap(base: str, state: dict[str, Any] | None, landed: str, templates: list[str], pw: Any) -> list[str]:
    """The pages of ``templates`` this visitor can open (200, HTML), with real demo ids."""
    request = pw.request.new_context(base_url=base, storage_state=state, max_redirects=0)

    def get(path: str) -> tuple[int, str, str]:
        r = request.get(path, max_redirects=0, fail_on_status_code=False)
        return r.status, r.headers.get("content-type", ""), r.text() if r.ok else ""

    ids: dict[str, str] = {"place": "TJ-GB-VANJ"}
    home = get("/")[2]
    programme = first(r"/p/([\w-]+)/", landed) or first(r'href="/p/(?!new/)([\w-]+)/', home)
    if programme:
        ids["programme"] = programme
        people = get(f"/p/{programme}/people/")[2]
        ids |= {k: v for k, v in {"person": first(rf"/p/{programme}/people/(\d+)/", people)}.items() if v}
        groups = get(f"/p/{programme}/groups/")[2]
        ids |= {k: v for k, v in {"group": first(rf"/p/{programme}/groups/(\d+)/", groups)}.items() if v}
        users = get(f"/p/{programme}/users/")[2]
        ids |= {k: v for k, v in {"user_id": first(rf"/p/{programme}/users/(\d+)/", users)}.items() if v}
    pages = []
    for template in templates:
        path = fill(template, ids)
        if path is None or path in pages:
            continue
        status, kind, text = get(path)
        if status == 200 and kind.startswith("text/html") and "<html" in text[:1000]:  # not an htmx fragment
            pages.append(path)
    request.dispose()
    return pages


MEASURE = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: fcp ? fcp.startTime : nav.domContentLoadedEventEnd,
    lang: document.documentElement.lang, status: nav.responseStatus || 200,
  };
}"""


def measure(
    base: str, role: str, lang: str, state: dict[str, Any] | None, paths: list[str], options: argparse.Namespace
) -> list[dict[str, Any]]:
    """Each page cold then warm, ``--runs`` times, in a fresh context per run and page."""
    from playwright.sync_api import sync_playwright

    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        cookie = {"name": "django_language", "value": lang, "domain": "127.0.0.1", "path": "/"}
        for _ in range(options.runs):
            for path in paths:
                context = browser.new_context(base_url=base, locale=lang, storage_state=state)
                context.add_cookies([cookie])
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                wire: list[int] = []
                cdp.on("Network.loadingFinished", lambda e, w=wire: w.append(int(e["encodedDataLength"])))
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
                rate = options.kbit * 1000 / 8
                cdp.send(
                    "Network.emulateNetworkConditions",
                    {"offline": False, "latency": options.rtt, "downloadThroughput": rate, "uploadThroughput": rate},
                )
                for cache in ("cold", "warm"):
                    wire.clear()
                    page.goto(path, wait_until="load")
                    page.wait_for_timeout(100)  # the last loadingFinished events
                    result = page.evaluate(MEASURE)
                    result["bytes"] = sum(wire)
                    samples.setdefault((path, cache), []).append(result)
                context.close()
        browser.close()
    rows = []
    for path in paths:
        row: dict[str, Any] = {"role": role, "lang": lang, "path": path}
        for cache in ("cold", "warm"):
            runs = samples[(path, cache)]
            for key in ("bytes", "fcp", "dcl", "load"):
                row[f"{cache}_{key}"] = statistics.median(r[key] for r in runs)
            row["lang_ok"] = all(r["lang"] == lang for r in runs)
        rows.append(row)
    return rows


def check_headers(base: str) -> list[tuple[str, str, bool]]:
    """Content-Encoding and Cache-Control of the stylesheet, htmx and a page, as Chromium asks for them."""

    def get(path: str) -> Any:
        req = urllib.request.Request(  # noqa: S310 (loopback)
            base + path, headers={"Accept-Encoding": "gzip, deflate, br, zstd"}
        )
        return urllib.request.urlopen(req)  # noqa: S310 (loopback)

    login = get("/accounts/login/")
    html = login.read()
    if login.headers.get("Content-Encoding") == "gzip":
        import gzip

        html = gzip.decompress(html)
    checks = [
        (
            "login page",
            f"Content-Encoding: {login.headers.get('Content-Encoding')}",
            login.headers.get("Content-Encoding") == "gzip",
        )
    ]
    for ref in re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js|svg))"', html):
        r = get(ref.decode())
        encoding, cache = r.headers.get("Content-Encoding"), r.headers.get("Cache-Control", "")
        far = "immutable" in cache and int(first(r"max-age=(\d+)", cache) or 0) >= 365 * 86400
        checks.append(
            (ref.decode(), f"Content-Encoding: {encoding}; Cache-Control: {cache}", encoding in ("br", "gzip") and far)
        )
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kbit", type=int, default=250)
    parser.add_argument("--rtt", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=3, help="languages x roles measured at once (browsers)")
    parser.add_argument("--roles", default="guest,partner,admin")
    parser.add_argument("--langs", default=",".join(LANGS))
    parser.add_argument("--only", default="", help="only the paths matching this regular expression")
    parser.add_argument("--max-kb", type=float, default=60)
    parser.add_argument("--max-cold", type=float, default=3.0)
    parser.add_argument("--max-warm", type=float, default=1.5)
    parser.add_argument("--json", help="also write the rows here")
    parser.add_argument("--routes", action="store_true", help=argparse.SUPPRESS)  # internal: list the routes
    options = parser.parse_args()
    if options.routes:
        print(json.dumps(routes()))
        return

    from cryptography.fernet import Fernet
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    var = tempfile.mkdtemp(prefix="hamkori-weight-")
    data_key = Fernet.generate_key().decode()
    base_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY"}}
    dev = {
        **base_env,
        "HAMKORI_VAR_DIR": var,
        "HAMKORI_ENV": "development",
        "DEBUG": "false",
        "HAMKORI_DATA_KEY": data_key,
    }
    secret = "hk-" + base64.urlsafe_b64encode(secrets.token_bytes(48)).decode()
    prod = {
        **dev,
        "HAMKORI_ENV": "production",
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": "127.0.0.1",
        "HAMKORI_SSL_REDIRECT": "false",
    }
    built = sh(["hamkori", "demo", "--no-serve"], dev)
    assert f"partner@{DOMAIN}" in built
    templates = json.loads(sh(["python", "benchmarks/page_weight.py", "--routes"], dev))
    sh(["hamkori", "collectstatic", "--noinput", "-v", "0"], prod)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        ["uv", "run", "hamkori", "serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=prod,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    print(f"Demo built and collected in {time.monotonic() - started:.0f} s; serving (production) on {base}")
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        checks = check_headers(base)
        roles = options.roles.split(",")
        visitors: dict[str, tuple[dict[str, Any] | None, list[str]]] = {}
        with sync_playwright() as pw:
            for role in roles:
                if role == "guest":
                    state, landed = None, base + "/"
                else:
                    email = f"{role}@{DOMAIN}"
                    state, landed = sign_in(
                        base, email, lambda e=email: sh(["hamkori", "totp-code", e], dev).strip(), pw
                    )
                paths = [p for p in sitemap(base, state, landed, templates, pw) if re.search(options.only, p)]
                visitors[role] = (state, paths)
        print(
            f"Signed in and listed the pages in {time.monotonic() - started:.0f} s: "
            + ", ".join(f"{role} {len(paths)}" for role, (_, paths) in visitors.items())
        )
        tasks = [(role, lang) for role in roles for lang in options.langs.split(",")]
        with ThreadPoolExecutor(max_workers=options.jobs) as pool:
            futures = [
                pool.submit(measure, base, role, lang, visitors[role][0], visitors[role][1], options)
                for role, lang in tasks
            ]
            rows = [row for f in futures for row in f.result()]
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(var, ignore_errors=True)
    elapsed = time.monotonic() - started
    failed = report(rows, checks, options, elapsed)
    if options.json:
        Path(options.json).write_text(json.dumps({"checks": checks, "rows": rows}, indent=1))
    sys.exit(1 if failed else 0)


def report(
    rows: list[dict[str, Any]], checks: list[tuple[str, str, bool]], options: argparse.Namespace, elapsed: float
) -> bool:
    print("\nHeaders (production, Accept-Encoding: gzip, deflate, br, zstd):")
    for what, value, ok in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}: {value}")
    print(
        f"\nLink: {options.kbit} kbit/s down and up, {options.rtt} ms round trip; medians of {options.runs} runs."
        " KB = 1000 bytes on the wire (headers + compressed bodies: page, CSS, JS, icon), cold visit."
    )
    print("Readable = first contentful paint; load = the load event.\n")
    print(f"{'page':<46} {'role':<7} {'lang':<4} {'KB':>5} {'cold':>6} {'warm':>6} {'load':>6} {'warm KB':>7}")
    failed = not all(ok for _, _, ok in checks)
    bad: list[str] = []
    for r in sorted(
        rows,
        key=lambda r: (
            r["path"],
            ["guest", "partner", "admin"].index(r["role"]) if r["role"] in ("guest", "partner", "admin") else 9,
            r["lang"],
        ),
    ):
        kb, cold, warm = r["cold_bytes"] / 1000, r["cold_fcp"] / 1000, r["warm_fcp"] / 1000
        over = []
        if kb > options.max_kb:
            over.append("KB")
        if cold > options.max_cold:
            over.append("cold")
        if warm > options.max_warm:
            over.append("warm")
        if not r["lang_ok"]:
            over.append("lang")
        mark = " <- " + ", ".join(over) if over else ""
        if over:
            bad.append(f"{r['path']} {r['role']} {r['lang']} ({', '.join(over)})")
        print(
            f"{r['path']:<46} {r['role']:<7} {r['lang']:<4} {kb:>5.1f} {cold:>5.2f}s {warm:>5.2f}s "
            f"{r['cold_load'] / 1000:>5.2f}s {r['warm_bytes'] / 1000:>7.1f}{mark}"
        )
    if rows:
        worst = {
            "heaviest": max(rows, key=lambda r: r["cold_bytes"]),
            "slowest cold": max(rows, key=lambda r: r["cold_fcp"]),
            "slowest warm": max(rows, key=lambda r: r["warm_fcp"]),
        }
        print(
            f"\n{len(rows)} page loads ({len({r['path'] for r in rows})} pages); "
            f"median {statistics.median(r['cold_bytes'] for r in rows) / 1000:.1f} KB, "
            f"cold {statistics.median(r['cold_fcp'] for r in rows) / 1000:.2f} s, "
            f"warm {statistics.median(r['warm_fcp'] for r in rows) / 1000:.2f} s."
        )
        for name, r in worst.items():
            print(
                f"  {name}: {r['path']} ({r['role']}, {r['lang']}): {r['cold_bytes'] / 1000:.1f} KB, "
                f"cold {r['cold_fcp'] / 1000:.2f} s, warm {r['warm_fcp'] / 1000:.2f} s"
            )
    limits = f"{options.max_kb:g} KB, {options.max_cold:g} s cold, {options.max_warm:g} s warm"
    if bad or failed:
        print(f"\nOver the limits ({limits}) or failed checks:\n  " + "\n  ".join(bad))
    else:
        print(f"\nEvery page within {limits}.")
    print(f"The benchmark took {elapsed / 60:.1f} min.")
    return failed or bool(bad)


if __name__ == "__main__":
    main()
