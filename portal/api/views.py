from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.generics import RetrieveAPIView

from portal.api.serializers import CurrentUserSerializer


class CurrentUserView(RetrieveAPIView):
    """The signed-in user, their roles and the portal sections they may open."""

    serializer_class = CurrentUserSerializer

    def get_object(self):
        return self.request.user


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (brute-force limited by django-axes)."""
