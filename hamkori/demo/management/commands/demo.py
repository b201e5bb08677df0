from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from hamkori.accounts.totp import current_code
from hamkori.demo.services import build_demo


class Command(BaseCommand):
    help = "Migrate, build the demo programme (idempotent), print the demo sign-ins, then serve."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Build the demo and stop.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo uses known passwords: it does not run in production mode.")
        call_command("migrate", interactive=False, verbosity=0)
        result = build_demo()
        host = options["addrport"] if ":" in options["addrport"] else f"127.0.0.1:{options['addrport']}"
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS(f"Hamkori demo: {result.programme.title_en}"))
        out.write(f"  Open http://{host}/ and sign in. Password for every account: {result.password}")
        out.write("")
        width = max(len(a.email) for a in result.accounts)
        for account in result.accounts:
            line = f"  {account.role:<13} {account.email:<{width}}  "
            if account.totp_secret:
                code = current_code(account.totp_secret)
                line += f"2FA: authenticator secret {account.totp_secret} (code now: {code})"
            else:
                line += "password only"
            out.write(line)
        out.write("")
        out.write("  Accounts with 2FA ask for a 6-digit code after the password. Add the secret to any")
        out.write("  authenticator app, or print a fresh code with: uv run hamkori totp-code EMAIL")
        out.write("")
        out.write(f"  Anyone can report a concern at http://{host}/report/ (no account).")
        if result.receipt_code:
            out.write(f"  A receipt code to try at http://{host}/report/status/: {result.receipt_code}")
        if result.apply_path:
            out.write(
                f"  The demo call for small grants, open to applicants without an account: http://{host}{result.apply_path}"
            )
        out.write("")
        if not options["no_serve"]:
            call_command("serve", host)
