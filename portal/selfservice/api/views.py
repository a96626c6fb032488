"""REST API of the customer self-service portal: the signed-in customer's contact preferences
and who looked at their protected data (``/api/v1/me/...``), and the password reset by SMS
code (``/api/v1/auth/password-reset/...``, no sign-in, same rules and limits as the pages)."""

from axes.helpers import get_client_ip_address
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.selectors import is_portal_customer, own_customer
from portal.selfservice import selectors
from portal.selfservice.api.serializers import (
    DetailSerializer,
    PiiAccessSerializer,
    PreferencesSerializer,
    ResetConfirmSerializer,
    ResetRequestSerializer,
)
from portal.selfservice.services import (
    preferences_of,
    request_password_reset,
    reset_password,
    update_contact_preferences,
)

RESET_SENT = gettext_lazy(
    "If this number belongs to an account, a code is on its way by SMS. "
    "It is valid for a few minutes."
)


class IsPortalCustomer(BasePermission):
    def has_permission(self, request, view):
        return is_portal_customer(request.user)


class CustomerApiMixin:
    permission_classes = [IsAuthenticated, IsPortalCustomer]

    def customer(self):
        return own_customer(self.request.user)


def _preferences(customer) -> dict:
    preference = preferences_of(customer)
    return {
        "marketing_sms": preference.marketing_sms,
        "notices_by_sms": preference.notices_by_sms,
        "messages_by_email": preference.messages_by_email and bool(customer.email),
    }


class PreferencesView(CustomerApiMixin, APIView):
    """The signed-in customer's choices about marketing and notice channels."""

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        return Response(PreferencesSerializer(_preferences(self.customer())).data)

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def put(self, request):
        serializer = PreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = self.customer()
        update_contact_preferences(customer, actor=request.user, **serializer.validated_data)
        return Response(PreferencesSerializer(_preferences(customer)).data)


class PiiAccessListView(CustomerApiMixin, generics.ListAPIView):
    """Who looked at the signed-in customer's full ID or phone number (by role, never by name),
    newest first."""

    serializer_class = PiiAccessSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.pii_looks(self.customer())


class PasswordResetRequestView(APIView):
    """Text a one-time code to the number. The answer is 202 whether or not the number has a
    login; too many requests (per number or IP) are a 400 on ``phone``."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=ResetRequestSerializer, responses={202: DetailSerializer})
    def post(self, request):
        serializer = ResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        request_password_reset(
            serializer.validated_data["phone"], ip_address=get_client_ip_address(request)
        )
        return Response({"detail": str(RESET_SENT)}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    """Set a new password with the code (single use, expiring, five tries)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=ResetConfirmSerializer, responses={204: None})
    def post(self, request):
        serializer = ResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reset_password(data["phone"], data["code"], data["new_password"])
        return Response(status=status.HTTP_204_NO_CONTENT)
