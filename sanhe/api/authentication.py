"""Who is calling the API: a token a member of staff issued (teams.models.ApiToken), sent as
`Authorization: Bearer <key>` or `Authorization: Token <key>`, or the browser's session (with
Django's CSRF check on every write, as DRF's SessionAuthentication does).

A token stands for its user: the same role and cases as their pages. It stops working when it is
revoked or expired, or when its user is deactivated (ApiToken.objects.usable)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from sanhe.lib.clientip import address_key, client_ip
from sanhe.lib.slots import Limit, has_room, take_slot
from teams.models import ApiToken

KEYWORDS = (b"bearer", b"token")


# Keys that fail, per address: past this, the address is refused (429) before any key is looked up.
# DRF's throttles run after authentication, so they never see a caller whose key fails.
FAILED_KEYS = Limit("api-failed-keys", 20, 15 * 60)


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        address = address_key(client_ip(request))
        if not has_room(FAILED_KEYS, address):
            raise exceptions.Throttled(FAILED_KEYS.seconds)
        token = self._token(parts)
        if token is None:
            take_slot(FAILED_KEYS, address)
            raise exceptions.AuthenticationFailed(_("API 密钥无效、已过期或已停用。"))
        token.touch()
        return token.user, token

    def _token(self, parts: list[bytes]) -> ApiToken | None:
        if len(parts) != 2:
            return None
        try:
            return ApiToken.find(parts[1].decode("ascii"))
        except UnicodeDecodeError:
            return None

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to a request that sent no credentials.
        return 'Bearer realm="api"'


from sanhe.api import schema  # noqa: E402, F401  (describes this scheme in the OpenAPI document)
