"""Cache-Control: private, no-store on every response that carries residents' data.

Which responses do: everything a logged-in user is sent (staff pages, case pages, exports, the
admin — names and phones are on most of them, and a browser's or proxy's cache would keep them on
a shared office computer after logout), and the /track/ answer, which shows a resident their own
case without a login. Anonymous public pages (the boards, the published notices, summary.json)
carry nothing personal and are left as they are.

The public pages keep a Cache-Control of their own even for a logged-in reader: the village
boards send ETags and "private, no-cache" (public/services.py) so a phone revalidates instead of
downloading the board again. Only those views, named below, keep what they set; any other view's
header is replaced, so a decorator or library cannot weaken it by accident.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

NO_STORE = "private, no-store"
# Answers for one resident, without a login: URL namespaces.
RESIDENT_NAMESPACES = {"track"}
# Public pages whose own caching stands (by URL namespace, or "namespace:name").
PUBLIC_NAMESPACES = {"board"}
PUBLIC_VIEWS = {"reports:summary_json", "reports:notice_index", "reports:notice", "health"}


def carries_personal_data(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    match = request.resolver_match
    return bool(user is not None and user.is_authenticated) or (
        match is not None and match.namespace in RESIDENT_NAMESPACES
    )


def is_public_view(request: HttpRequest) -> bool:
    match = request.resolver_match
    return match is not None and (match.namespace in PUBLIC_NAMESPACES or match.view_name in PUBLIC_VIEWS)


class NoStoreMiddleware:
    """Sets NO_STORE where carries_personal_data(); after AuthenticationMiddleware, which gives
    request.user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not carries_personal_data(request):
            return response
        if is_public_view(request) and response.has_header("Cache-Control"):
            return response
        response["Cache-Control"] = NO_STORE
        return response
