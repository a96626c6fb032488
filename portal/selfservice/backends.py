"""Sign-in by phone number: a customer types one of their mobile numbers (or their contact
phone) and their password.

Only authentication lives here; permissions stay with ``portal.backends.OneQueryModelBackend``
(this backend grants none). django-axes stands before it in ``AUTHENTICATION_BACKENDS`` and
locks out by what was typed in the username field plus the IP, as for every other login.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend

from portal.selfservice.logins import as_mobile_number, logins_for_number


class PhoneNumberBackend(BaseBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        msisdn = as_mobile_number(username or "")
        if msisdn is None or password is None:
            return None
        users = logins_for_number(msisdn)
        if not users:
            # Spend the time a password check takes: the response time tells nothing.
            get_user_model()().set_password(password)
            return None
        matches = [user for user in users if user.check_password(password)]
        # Two logins behind one shared contact number with the same password: refuse to guess.
        return matches[0] if len(matches) == 1 else None

    def get_user(self, user_id):
        user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
        return user
