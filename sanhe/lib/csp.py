"""A content security policy for every response (Django 5.2 has none built in).

Pages are rendered on the server and load only our own static files: no inline script, no
<style> element, nothing from another origin (style="…" attributes are allowed: see the
settings). Inline SVG (the charts) needs nothing more than this.

settings.CONTENT_SECURITY_POLICY maps each directive to its sources;
settings.CONTENT_SECURITY_POLICY_REPORT_ONLY sends the policy as Content-Security-Policy-Report-Only
instead, to try a stricter policy on a live site without breaking it.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def policy_header(policy: dict[str, list[str]]) -> str:
    """The header value: 'default-src 'self'; object-src 'none'' (directives without sources stand alone)."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.value = policy_header(getattr(settings, "CONTENT_SECURITY_POLICY", {}))
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", False)
        self.header = "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view that needs another policy sets its own header; it is left as it is.
        if self.value and self.header not in response.headers:
            response.headers[self.header] = self.value
        return response
