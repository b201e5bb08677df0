"""Public intake under load: the real app under gunicorn in **production mode** on loopback, public
submissions (``POST /api/public/concerns``) from 50 concurrent connections for 30 s, next to a bare
Django endpoint that inserts one row (``/bench/bare/``, same server, same run), on SQLite and on
PostgreSQL; then every acknowledged submission is counted in the database; then the server is killed
with SIGKILL in the middle of the load, restarted, and the acknowledged submissions counted again.

    uv run python benchmarks/intake_load.py                       # both databases
    uv run python benchmarks/intake_load.py --databases sqlite --duration 10
    uv run python benchmarks/intake_load.py --postgres postgres://postgres@127.0.0.1:5432/hk_bench_intake

Needs ``wrk`` (Debian: ``apt-get install wrk``); its Lua script is ``benchmarks/intake_load.lua``.

Per database:

1. A fresh database (SQLite in a temporary directory; the PostgreSQL database named by ``--postgres`` is
   dropped and created, and dropped at the end), ``migrate --run-syncdb`` under
   ``benchmarks.intake_bench.settings`` (the app's settings plus the bare endpoint's app and URL), and one
   programme that accepts public reports in Vanj and Isfara, built through the services.
2. gunicorn (``--workers``, sync workers) on 127.0.0.1 with ``HAMKORI_ENV=production``, a generated
   ``SECRET_KEY`` and data key, and the intake's rate limit raised through ``HAMKORI_INTAKE_RATE`` (every
   request comes from 127.0.0.1; the counter is still read and written on every submission).
3. A warm-up, then wrk: ``--connections`` connections for ``--duration`` seconds on the bare endpoint and on
   the intake, ``--rounds`` times (4; every other round the intake first, so that what one run leaves the
   database to do in the background falls on both alike). Each request carries a fresh client id; every 2xx answer's receipt
   code (bare: row key) is written down by the Lua script. Reported: the medians of the rounds, and the
   median of each round's ratio (the two runs of a round share the machine's load from other work).
4. Every acknowledged receipt code must be a concern in the database (and every bare key a row).
5. wrk on the intake again for ``--kill-duration`` s; after ``--kill-after`` s the gunicorn master and its
   workers get SIGKILL (the whole process group). gunicorn is restarted on the same database; every
   submission acknowledged before the kill must be there, and the intake must answer again.

Targets (exit status 1 when missed): intake throughput at least ``--min-ratio`` (60 %) of the bare endpoint's,
intake p95 under ``--max-p95`` (300 ms), no error answers under load, no acknowledged submission missing.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("intake_load.lua")
SETTINGS = "benchmarks.intake_bench.settings"
PROGRAMME = "bench-intake"
DISTRICT = "TJ-GB-VANJ"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/hk_bench_intake"


# --- Set-up inside the app (run as a subprocess with the benchmark's environment) -----------------
def setup_database() -> None:
    """``migrate --run-syncdb`` and one programme accepting public reports, through the services."""
    import datetime as dt
    from decimal import Decimal

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
    from hamkori.orgs.services import organisation_upsert
    from hamkori.places.models import Place
    from hamkori.programmes import services

    lead = organisation_upsert(actor=None, kind="lead", name_en="Benchmark NGO")[0]
    programme = services.programme_create(
        actor=None,
        code=PROGRAMME,
        title_en="Benchmark programme",
        lead_organisation=lead,
        budget=Decimal("1000"),
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2027, 12, 31),
        public_reports=True,
    )
    services.programme_set_locations(
        actor=None, programme=programme, places=list(Place.objects.filter(code__in=[DISTRICT, "TJ-SU-ISFARA"]))
    )
    print(json.dumps({"programme": programme.code}))


# --- The driver ----------------------------------------------------------------------------------
@dataclass
class Run:
    """One wrk run: its summary and the answers written down by the Lua script."""

    target: str
    seconds: float
    summary: dict[str, Any]
    statuses: dict[int, int] = field(default_factory=dict)
    acked: list[str] = field(default_factory=list)

    @property
    def ok_per_second(self) -> float:
        return len(self.acked) / self.seconds

    @property
    def per_second(self) -> float:
        return self.summary["requests"] / self.seconds

    @property
    def errors(self) -> int:
        s = self.summary
        bad_status = sum(n for status, n in self.statuses.items() if not 200 <= status < 300)
        return bad_status + s["connect"] + s["read"] + s["write"] + s["timeout"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn in its own process group (so SIGKILL reaches the master and every worker)."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.env, self.port, self.workers, self.log = env, port, workers, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        args = [str(gunicorn), "hamkori.config.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        args += ["--workers", str(self.workers), "--backlog", "2048", "--graceful-timeout", "5"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2):  # noqa: S310 (loopback)
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer; see {self.log}")

    def kill(self) -> None:
        """SIGKILL to the master and every worker: no graceful anything."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)


def wrk(
    server: Server, path: str, seconds: int, options: argparse.Namespace, work: Path, name: str
) -> subprocess.Popen[str]:
    prefix = work / name
    args = ["wrk", f"-t{options.threads}", f"-c{options.connections}", f"-d{seconds}s", "--timeout", "10s"]
    args += ["-s", str(LUA), server.base + path, "--", str(prefix), PROGRAMME, DISTRICT]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def collect(process: subprocess.Popen[str], target: str, work: Path, name: str) -> Run:
    out, err = process.communicate(timeout=600)
    line = next((row for row in reversed(out.splitlines()) if row.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"wrk failed:\n{out}\n{err}")
    summary = json.loads(line)
    run = Run(target=target, seconds=summary["duration_us"] / 1e6, summary=summary)
    for part in sorted(work.glob(f"{name}-*.txt")):
        for row in part.read_text().splitlines():
            status, _space, code = row.partition(" ")
            run.statuses[int(status)] = run.statuses.get(int(status), 0) + 1
            if 200 <= int(status) < 300:
                run.acked.append(code)
    return run


def load(server: Server, target: str, seconds: int, options: argparse.Namespace, work: Path, name: str) -> Run:
    path = "/api/public/concerns" if target == "intake" else "/bench/bare/"
    return collect(wrk(server, path, seconds, options, work, name), target, work, name)


def stored(database: str, url: str, target: str) -> set[str]:
    """The receipt codes (intake, as shown: with the dash) or row keys (bare) in the database."""
    sql = (
        "SELECT receipt_code FROM concerns_concern WHERE receipt_code IS NOT NULL"
        if target == "intake"
        else "SELECT key FROM intake_bench_barerow"
    )
    if database == "sqlite":
        with sqlite3.connect(url) as db:
            rows = [r[0] for r in db.execute(sql)]
    else:
        import psycopg

        with psycopg.connect(url) as db:
            rows = [r[0] for r in db.execute(sql)]
    if target == "intake":
        return {f"{r[:4]}-{r[4:]}" for r in rows}
    return {str(uuid.UUID(str(r))) for r in rows}


def missing(acked: list[str], database: str, url: str, target: str) -> int:
    return len(set(acked) - stored(database, url, target))


def fresh_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    if name in {"postgres"} or name.startswith(("test", "template")):
        sys.exit(f"Refusing to drop the database {name!r}.")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def environment(database: str, options: argparse.Namespace, var: Path) -> tuple[dict[str, str], str]:
    from cryptography.fernet import Fernet

    keep = {k: v for k, v in os.environ.items() if not k.startswith(("HAMKORI_", "DATABASE_", "DJANGO_"))}
    keep.pop("SECRET_KEY", None)
    keep.pop("DEBUG", None)
    env = {
        **keep,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "HAMKORI_ENV": "production",
        "SECRET_KEY": "hk-" + base64.urlsafe_b64encode(secrets.token_bytes(48)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HAMKORI_SSL_REDIRECT": "false",
        "HAMKORI_DATA_KEY": Fernet.generate_key().decode(),
        "HAMKORI_VAR_DIR": str(var),
        # Every request comes from 127.0.0.1: the limit is raised, the counter still runs.
        "HAMKORI_INTAKE_RATE": options.rate,
        "HAMKORI_INTAKE_STATUS_RATE": options.rate,
    }
    if database == "sqlite":
        url = str(var / "bench.sqlite3")
        env["HAMKORI_SQLITE_PATH"] = url
    else:
        url = options.postgres
        env["DATABASE_URL"] = url
    return env, url


def bench(database: str, options: argparse.Namespace) -> dict[str, Any]:
    var = Path(tempfile.mkdtemp(prefix=f"hk-intake-{database}-"))
    work = var / "answers"
    work.mkdir()
    env, url = environment(database, options, var)
    if database == "postgres":
        fresh_postgres(url)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--setup"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"set-up failed:\n{done.stdout}\n{done.stderr}")
    print(f"[{database}] migrated and set up in {time.monotonic() - started:.0f} s")
    server = Server(env, free_port(), options.workers, var / "gunicorn.log")
    report: dict[str, Any] = {"database": database, "workers": options.workers}
    try:
        server.start()
        load(server, "bare", options.warmup, options, work, "warm-bare")
        load(server, "intake", options.warmup, options, work, "warm-intake")
        runs: list[Run] = []
        for n in range(options.rounds):
            # Every other round runs the intake first: whatever one run leaves the database to do in the
            # background (autovacuum of the rows it inserted, a checkpoint's writes) falls on the other
            # endpoint's run as often as on this one's.
            for target in ("bare", "intake") if n % 2 == 0 else ("intake", "bare"):
                run = load(server, target, options.duration, options, work, f"{target}-{n}")
                runs.append(run)
                print(
                    f"[{database}] {target:<6} {run.ok_per_second:7.1f} ok/s  p50 {run.summary['p50'] / 1000:6.1f} ms"
                    f"  p95 {run.summary['p95'] / 1000:6.1f} ms  errors {run.errors}  statuses {run.statuses}"
                )
        for target in ("bare", "intake"):
            mine = [r for r in runs if r.target == target]
            acked = [code for r in mine for code in r.acked]
            report[target] = {
                "rounds_ok_per_second": [round(r.ok_per_second, 1) for r in mine],
                "ok_per_second": statistics.median(r.ok_per_second for r in mine),
                "p50_ms": statistics.median(r.summary["p50"] for r in mine) / 1000,
                "p95_ms": statistics.median(r.summary["p95"] for r in mine) / 1000,
                "p99_ms": statistics.median(r.summary["p99"] for r in mine) / 1000,
                "worst_p95_ms": max(r.summary["p95"] for r in mine) / 1000,
                "errors": sum(r.errors for r in mine),
                "statuses": {
                    str(k): sum(r.statuses.get(k, 0) for r in mine) for k in {s for r in mine for s in r.statuses}
                },
                "acknowledged": len(acked),
                "distinct": len(set(acked)),
                "missing": missing(acked, database, url, target),
            }
        # Each round runs the two endpoints back to back: the ratio of a round compares two runs under
        # the same load from the rest of the machine; the median of the rounds.
        rounds = [runs[k : k + 2] for k in range(0, len(runs), 2)]
        pairs = [
            (next(r for r in two if r.target == "bare"), next(r for r in two if r.target == "intake")) for two in rounds
        ]
        report["round_ratios"] = [round(i.ok_per_second / b.ok_per_second, 3) for b, i in pairs]
        report["ratio"] = statistics.median(i.ok_per_second / b.ok_per_second for b, i in pairs)
        report["load_average"] = os.getloadavg()

        # SIGKILL in the middle of the load, restart, count again.
        process = wrk(server, "/api/public/concerns", options.kill_duration, options, work, "kill")
        time.sleep(options.kill_after)
        killed_at = time.monotonic()
        server.kill()
        server.start()  # while wrk goes on: its requests fail until the new server answers
        restarted_in = time.monotonic() - killed_at
        run = collect(process, "intake", work, "kill")
        after = load(server, "intake", 5, options, work, "after-restart")
        report["kill"] = {
            "acknowledged_in_killed_run": len(run.acked),
            "missing_after_restart": missing(run.acked, database, url, "intake"),
            "errors_during_kill": run.errors,
            "restarted_in_s": restarted_in,
            "after_restart_ok": len(after.acked),
            "after_restart_missing": missing(after.acked, database, url, "intake"),
            "all_acknowledged_missing": missing(
                [c for r in runs for c in r.acked if r.target == "intake"], database, url, "intake"
            ),
        }
        report["concerns_in_database"] = len(stored(database, url, "intake"))
    finally:
        server.stop()
        if database == "postgres" and not options.keep:
            drop_postgres(url)
        if not options.keep:
            shutil.rmtree(var, ignore_errors=True)
        else:
            print(f"[{database}] kept: {var}")
    return report


def verdict(report: dict[str, Any], options: argparse.Namespace) -> list[str]:
    problems = []
    if report["ratio"] < options.min_ratio:
        problems.append(f"intake at {report['ratio']:.0%} of the bare endpoint (target {options.min_ratio:.0%})")
    if report["intake"]["p95_ms"] >= options.max_p95:
        problems.append(f"intake p95 {report['intake']['p95_ms']:.0f} ms (target < {options.max_p95:.0f} ms)")
    for target in ("bare", "intake"):
        if report[target]["errors"]:
            problems.append(f"{target}: {report[target]['errors']} errors under load")
        if report[target]["missing"]:
            problems.append(f"{target}: {report[target]['missing']} acknowledged but not in the database")
    kill = report["kill"]
    for key in ("missing_after_restart", "after_restart_missing", "all_acknowledged_missing"):
        if kill[key]:
            problems.append(f"after SIGKILL: {kill[key]} acknowledged submissions missing ({key})")
    if not kill["after_restart_ok"]:
        problems.append("the intake did not answer after the restart")
    return problems


def print_report(reports: list[dict[str, Any]], options: argparse.Namespace) -> bool:
    print(
        f"\n{options.connections} connections, {options.duration} s per run x {options.rounds}, "
        f"gunicorn {options.workers} sync workers, wrk {options.threads} threads; load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print(
        "medians of the rounds:\n"
        f"{'database':<9} {'endpoint':<7} {'ok/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
        f" {'acked':>6} {'missing':>7}"
    )
    failed = False
    for r in reports:
        for target in ("bare", "intake"):
            t = r[target]
            print(
                f"{r['database']:<9} {target:<7} {t['ok_per_second']:7.1f} {t['p50_ms']:7.1f} {t['p95_ms']:7.1f}"
                f" {t['p99_ms']:7.1f} {t['errors']:6d} {t['acknowledged']:6d} {t['missing']:7d}"
            )
        print(
            f"{r['database']:<9} rounds (ok/s): bare {r['bare']['rounds_ok_per_second']}, intake "
            f"{r['intake']['rounds_ok_per_second']}, ratios {r['round_ratios']}; worst intake p95 "
            f"{r['intake']['worst_p95_ms']:.0f} ms; load average after {' '.join(f'{x:.1f}' for x in r['load_average'])}"
        )
        k = r["kill"]
        print(
            f"{r['database']:<9} ratio intake/bare {r['ratio']:.0%}; SIGKILL mid-load: {k['acknowledged_in_killed_run']} "
            f"acknowledged in that run (before the kill, and after the restart), {k['missing_after_restart']} missing "
            f"(restarted in "
            f"{k['restarted_in_s']:.1f} s; {k['after_restart_ok']} more accepted after it, "
            f"{k['after_restart_missing']} missing); {r['concerns_in_database']} concerns stored"
        )
        problems = verdict(r, options)
        failed = failed or bool(problems)
        print(f"{r['database']:<9} " + ("targets met" if not problems else "MISSED: " + "; ".join(problems)))
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)  # internal
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=4, help="bare then intake, this many times")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--kill-duration", type=int, default=20)
    parser.add_argument("--kill-after", type=float, default=8)
    parser.add_argument("--rate", default="100000000/m", help="HAMKORI_INTAKE_RATE for the run")
    parser.add_argument("--min-ratio", type=float, default=0.6)
    parser.add_argument("--max-p95", type=float, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the databases and the answers")
    parser.add_argument("--json", help="also write the report here")
    options = parser.parse_args()
    if options.setup:
        setup_database()
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    reports = [bench(database, options) for database in options.databases.split(",")]
    failed = print_report(reports, options)
    if options.json:
        Path(options.json).write_text(json.dumps(reports, indent=1))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
