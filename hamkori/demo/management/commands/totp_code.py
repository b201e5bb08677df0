from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hamkori.accounts.totp import current_code
from hamkori.core import crypto
from hamkori.demo.services import EMAIL_DOMAIN


class Command(BaseCommand):
    help = "Print the current 2FA code of a demo account (demo accounts only, never in production)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, **options):
        email = options["email"].strip().lower()
        if settings.PRODUCTION or not email.endswith("@" + EMAIL_DOMAIN):
            raise CommandError(f"Only demo accounts (…@{EMAIL_DOMAIN}) outside production have printable codes.")
        auth = Authenticator.objects.filter(user__email=email, type=Authenticator.Type.TOTP).first()
        if auth is None:
            raise CommandError(f"{email} has no authenticator.")
        self.stdout.write(current_code(crypto.decrypt(auth.data["secret"])))
