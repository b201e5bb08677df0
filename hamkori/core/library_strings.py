"""Strings that our pages show from django-allauth, django-axes and Django itself.

Django looks a message up in ``settings.LOCALE_PATHS`` (``hamkori/locale``) *before* the catalogues
that ship with the libraries. django-allauth and django-axes ship no Tajik at all and Django's own
Tajik catalogue is partial, so every library string that can reach a user is listed here:
``makemessages`` then copies it into ``hamkori/locale/{tg,ru}/LC_MESSAGES/django.po``, where we
translate it, and our translation wins over (or fills in for) the library's.

Rules for this module:

* Each msgid must be byte-for-byte the library's: same punctuation, curly quotes, double spaces,
  line breaks and placeholders. For a ``{% blocktranslate %}`` in a library template that means
  the msgid ``makemessages`` produces (``{{ name }}`` becomes ``%(name)s``).
* Nothing here is ever translated at run time: ``gettext_noop`` only marks a string, and
  ``_plurals`` is never called; it exists so that ``makemessages`` extracts the plural forms.
* ``scripts/check_translations.py`` fails if a msgid here no longer exists in the installed
  libraries (after an upgrade changed or dropped it): update the entry and translate it again.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop as _
from django.utils.translation import ngettext

LIBRARY_STRINGS: tuple[str, ...] = (
    # --- django-allauth: account error messages (allauth/account/adapter.py ``error_messages``)
    _("This account is currently inactive."),
    _("The email address and/or password you specified are not correct."),
    _("Please type your current password."),
    _("Incorrect code."),
    _("Incorrect password."),
    _("Invalid or expired key."),
    _("Invalid login."),
    _("The password reset token was invalid."),
    _("Too many failed login attempts. Try again later."),
    _("The email address is not assigned to any user account."),
    _("The new value must be different from the current one."),
    _("Be patient, you are sending too many requests."),
    _("Use your password"),
    _("Use authenticator app or code"),
    # --- django-allauth: form labels and placeholders (allauth/account/forms.py, fields.py)
    _("Email"),
    _("Email address"),
    _("Password"),
    _("Forgot your password?"),
    _("You must type the same password each time."),
    _("Remember Me"),
    _("Password (again)"),
    _("Current Password"),
    _("New Password"),
    _("New Password (again)"),
    _("Code"),
    # --- django-allauth: account pages (allauth/templates/account/*.html)
    _("Password Reset"),
    _("Forgotten your password? Enter your email address below, and we'll send you an email allowing you to reset it."),
    _("Reset My Password"),
    _("Please contact us if you have any trouble resetting your password."),
    _(
        "We have sent you an email. If you have not received it please check your spam folder. Otherwise contact us if you do not receive it in a few minutes."
    ),
    _("Change Password"),
    _("Bad Token"),
    _(
        'The password reset link was invalid, possibly because it has already been used.  Please request a <a href="%(passwd_reset_url)s">new password reset</a>.'
    ),
    _("Cancel"),
    _("Your password is now changed."),
    _("Set Password"),
    _("Sign Out"),
    _("Are you sure you want to sign out?"),
    _("Confirm Access"),
    _("Please reauthenticate to safeguard your account."),
    _("Alternative options"),
    _("Enter your password:"),
    _("Confirm"),
    _("Account Inactive"),
    _("This account is inactive."),
    _("Note"),
    _("You are already logged in as %(user_display)s."),
    # --- django-allauth: flash messages (allauth/templates/account/messages/*.txt)
    _("Successfully signed in as %(name)s."),
    _("You have signed out."),
    _("Password successfully changed."),
    _("Password successfully set."),
    # --- django-allauth: emails (allauth/templates/account/email/*.txt)
    _("Hello from %(site_name)s!"),
    _("Thank you for using %(site_name)s!\n%(site_domain)s"),
    _("You are receiving this mail because the following change was made to your account:"),
    _(
        "If you do not recognize this change then please take proper security precautions immediately. The change to your account originates from:\n\n- IP address: %(ip)s\n- Browser: %(user_agent)s\n- Date: %(timestamp)s"
    ),
    _("Password Reset Email"),
    _(
        "You're receiving this email because you or someone else has requested a password reset for your user account.\nIt can be safely ignored if you did not request a password reset. Click the link below to reset your password."
    ),
    _("In case you forgot, your username is %(username)s."),
    _("Password Changed"),
    _("Your password has been changed."),
    _("Password Set"),
    _("Your password has been set."),
    _("Unknown Account"),
    _(
        "You are receiving this email because you, or someone else, tried to access an account with email %(email)s. However, we do not have any record of such an account in our database."
    ),
    _("This mail can be safely ignored if you did not initiate this action."),
    _("If it was you, you can sign up for an account using the link below."),
    # --- django-allauth: changing the sign-in email (account/email_change.html, email_confirm.html,
    # messages, emails; ACCOUNT_CHANGE_EMAIL with reauthentication and notifications)
    _("Email Address"),
    _("Current email"),
    _("Changing to"),
    _("Your email address is still pending verification."),
    _("Re-send Verification"),
    _("Cancel Change"),
    _("Change to"),
    _("Change Email"),
    _("Confirm Email Address"),
    _('Please confirm that <a href="mailto:%(email)s">%(email)s</a> is an email address for user %(user_display)s.'),
    _("Unable to confirm %(email)s because it is already confirmed by a different account."),
    _(
        'This email confirmation link expired or is invalid. Please <a href="%(email_url)s">issue a new email confirmation request</a>.'
    ),
    _("This email address is already associated with this account."),
    _("A user is already registered with this email address."),
    _("Confirmation email sent to %(email)s."),
    _("You have confirmed %(email)s."),
    _("Removed email address %(email)s."),
    _("Primary email address set."),
    _("Your primary email address must be verified."),
    _("You cannot remove your primary email address (%(email)s)."),
    _("Please Confirm Your Email Address"),
    _(
        "You're receiving this email because user %(user_display)s has given your email address to register an account on %(site_domain)s."
    ),
    _("To confirm this is correct, go to %(activate_url)s"),
    _("Email Changed"),
    _("Your email has been changed from %(from_email)s to %(to_email)s."),
    _("Email Removed"),
    _("Email address %(deleted_email)s has been removed from your account."),
    # --- django-allauth: two-factor authentication (allauth/mfa: adapter, forms, templates, messages, emails)
    _("You cannot deactivate two-factor authentication."),
    _("You cannot generate recovery codes without having two-factor authentication enabled."),
    _("You cannot activate two-factor authentication until you have verified your email address."),
    _("You cannot add an email address to an account protected by two-factor authentication."),
    _("Authenticator code"),
    _("Recovery codes"),
    _("TOTP Authenticator"),
    _("Two-Factor Authentication"),
    _("Authenticator App"),
    _("Authentication using an authenticator app is active."),
    _("An authenticator app is not active."),
    _("Deactivate"),
    _("Activate"),
    _("Manage"),
    _("Recovery Codes"),
    _("No recovery codes set up."),
    _("View"),
    _("Download"),
    _("Generate"),
    _("Enter an authenticator code:"),
    _("Activate Authenticator App"),
    _(
        "To protect your account with two-factor authentication, scan the QR code below with your authenticator app. Then, input the verification code generated by the app below."
    ),
    _("Authenticator secret"),
    _("You can store this secret and use it to reinstall your authenticator app at a later time."),
    _("Deactivate Authenticator App"),
    _("You are about to deactivate authenticator app based authentication. Are you sure?"),
    _("You are about to generate a new set of recovery codes for your account."),
    _("This action will invalidate your existing codes."),
    _("Are you sure?"),
    _("Unused codes"),
    _("Download codes"),
    _("Generate new codes"),
    _("I have saved my recovery codes"),
    _("Authenticator app activated."),
    _("Authenticator app deactivated."),
    _("A new set of recovery codes has been generated."),
    _("Save them  in a secure location now — they won't be shown again."),
    _("Authenticator App Activated"),
    _("Authenticator App Deactivated"),
    _("New Recovery Codes Generated"),
    _("A new set of Two-Factor Authentication recovery codes has been generated."),
    # --- django-axes: lockout messages (axes/conf.py)
    _("Account locked: too many login attempts. Please try again later."),
    _("Account locked: too many login attempts. Contact an admin to unlock your account."),
    # --- Django: password validators (django/contrib/auth/password_validation.py)
    _("The password is too similar to the %(verbose_name)s."),
    _("Your password can’t be too similar to your other personal information."),
    _("This password is too common."),
    _("Your password can’t be a commonly used password."),
    _("This password is entirely numeric."),
    _("Your password can’t be entirely numeric."),
    # --- Django: form and validator errors (django/forms/fields.py, forms/models.py, core/validators.py)
    _("This field is required."),
    _("Enter a valid value."),
    _("Enter a valid email address."),
    _("Enter a valid URL."),
    _("Enter a valid integer."),
    _("Enter a whole number."),
    _("Enter a number."),
    _("Enter a valid date."),
    _("Enter a valid time."),
    _("Enter a valid date/time."),
    _("Ensure this value is less than or equal to %(limit_value)s."),
    _("Ensure this value is greater than or equal to %(limit_value)s."),
    _("Select a valid choice. %(value)s is not one of the available choices."),
    _("Select a valid choice. That choice is not one of the available choices."),
    _("Enter a list of values."),
    _("Null characters are not allowed."),
)


def _plurals(n: int) -> None:  # pragma: no cover - never called; read by makemessages only
    """The library messages with plural forms (``ngettext`` so that makemessages extracts both)."""
    # --- django-allauth: two-factor authentication (allauth/templates/mfa/index.html, recovery_codes/index.html)
    ngettext(
        "There is %(unused_count)s out of %(total_count)s recovery codes available.",
        "There are %(unused_count)s out of %(total_count)s recovery codes available.",
        n,
    )
    # --- Django: password validators
    ngettext(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        n,
    )
    ngettext(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        n,
    )
    # --- Django: form and validator errors
    ngettext(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        n,
    )
    ngettext(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        n,
    )
    ngettext(
        "Ensure that there are no more than %(max)s digit in total.",
        "Ensure that there are no more than %(max)s digits in total.",
        n,
    )
    ngettext(
        "Ensure that there are no more than %(max)s decimal place.",
        "Ensure that there are no more than %(max)s decimal places.",
        n,
    )
    ngettext(
        "Ensure that there are no more than %(max)s digit before the decimal point.",
        "Ensure that there are no more than %(max)s digits before the decimal point.",
        n,
    )
