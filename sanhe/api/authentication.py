"""Who is calling the API: a token a member of staff issued (teams.models.ApiToken), sent as
`Authorization: Bearer <key>` or `Authorization: Token <key>`, or the browser's session (with
Django's CSRF check on every write, as DRF's SessionAuthentication does).

A token stands for its user: the same role and cases as their pages. It stops working when it is
revoked or expired, or when its user is deactivated (ApiToken.objects.usable)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from teams.models import ApiToken

KEYWORDS = (b"bearer", b"token")


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization 头格式不对，应为“Bearer 密钥”。"))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("API 密钥无效。")) from None
        token = ApiToken.find(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("API 密钥无效、已过期或已停用。"))
        token.touch()
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to a request that sent no credentials.
        return 'Bearer realm="api"'


from sanhe.api import schema  # noqa: E402, F401  (describes this scheme in the OpenAPI document)
