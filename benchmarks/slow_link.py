"""Page loads over an emulated slow link (default: 250 kbit/s down, 300 ms round trip), as partners in
Vanj see them. Starts the demo on a temporary database, signs in as the partner (with the second
factor) and loads the main pages through Chromium's DevTools network emulation.

    uv run python benchmarks/slow_link.py [--kbit 250] [--rtt 300] [--runs 3]

Reports, per page: bytes transferred, time to DOMContentLoaded and to load, with a cold cache (first
visit) and a warm one (stylesheet and script already cached, as on every later page).
The target in docs: readable within 3 s.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def totp_code(env: dict[str, str], email: str) -> str:
    out = subprocess.run(
        ["uv", "run", "hamkori", "totp-code", email], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kbit", type=int, default=250)
    parser.add_argument("--rtt", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()

    var = tempfile.mkdtemp(prefix="hamkori-slow-")
    env = {**os.environ, "HAMKORI_VAR_DIR": var, "HAMKORI_ENV": "development", "DEBUG": "false"}
    env.pop("DATABASE_URL", None)
    port = free_port()
    built = subprocess.run(
        ["uv", "run", "hamkori", "demo", "--no-serve"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert "partner@hamkori.example" in built.stdout
    server = subprocess.Popen(
        ["uv", "run", "hamkori", "serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        rows = run(base, lambda: totp_code(env, "partner@hamkori.example"), options)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"\nLink: {options.kbit} kbit/s down, {options.rtt} ms round trip; median of {options.runs} runs\n")
    print(f"{'page':<34} {'cache':<5} {'KiB':>6} {'DOMContentLoaded':>17} {'load':>8}")
    for name, cache, size, dcl, load in rows:
        print(f"{name:<34} {cache:<5} {size / 1024:>6.1f} {dcl:>15.2f} s {load:>6.2f} s")


MEASURE = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const bytes = [nav, ...performance.getEntriesByType("resource")].reduce((n, e) => n + (e.transferSize || 0), 0);
  return [bytes, nav.domContentLoadedEventEnd / 1000, nav.loadEventEnd / 1000];
}"""


def run(base: str, code: Callable[[], str], options: argparse.Namespace) -> list[tuple[str, str, int, float, float]]:
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        context = browser.new_context(base_url=base, locale="tg")
        page = context.new_page()
        page.goto("/accounts/login/")
        page.locator("#id_login").fill("partner@hamkori.example")
        page.locator("#id_password").fill("hamkori-demo-2018")
        page.locator("main button[type=submit]").click()
        page.locator("#id_code").fill(code())
        page.locator("main button[type=submit]").first.click()
        page.wait_for_url(re.compile(r"/p/"))
        programme = page.url.rstrip("/").rsplit("/", 1)[-1]
        page.goto(f"/p/{programme}/groups/")
        group = page.locator("#groups a").first.get_attribute("href")
        pages = [
            ("overview", f"/p/{programme}/"),
            ("working groups", f"/p/{programme}/groups/"),
            ("group", str(group)),
            ("people", f"/p/{programme}/people/"),
            ("add a person", f"/p/{programme}/people/new/"),
        ]
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        throughput = options.kbit * 1000 / 8
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": options.rtt,
                "downloadThroughput": throughput,
                "uploadThroughput": throughput,
            },
        )
        for name, path in pages:
            for cache in ("cold", "warm"):
                samples = []
                for _ in range(options.runs):
                    if cache == "cold":
                        cdp.send("Network.clearBrowserCache")
                    page.goto(path, wait_until="load")
                    samples.append(page.evaluate(MEASURE))
                rows.append(
                    (
                        name,
                        cache,
                        int(statistics.median(s[0] for s in samples)),
                        statistics.median(s[1] for s in samples),
                        statistics.median(s[2] for s in samples),
                    )
                )
        browser.close()
    return rows


if __name__ == "__main__":
    main()
