"""Forms of the event core."""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django.db import IntegrityError, transaction


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form, safe against two submits of the same new address at once.

    Both submits pass validation before either account exists; the second insert then
    breaks ``user_email_ci_unique``. Instead of a 500, that submit is answered as a
    sign-up with a taken address is (``ACCOUNT_PREVENT_ENUMERATION``): the owner gets an
    "account already exists" e-mail and the page says a verification e-mail was sent.
    """

    def try_save(self, request):
        """Save the new account, or answer as for a taken address if it was created meanwhile."""
        try:
            with transaction.atomic():
                return super().try_save(request)
        except IntegrityError:
            self.account_already_exists = True
            return super().try_save(request)
