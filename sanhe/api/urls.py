"""The JSON API for staff tools: each app adds its endpoints to the router (its api.py's
register), the schema and its Swagger UI (static files from the sidecar package: no CDN; the
page's script is a file of its own, as the content security policy asks), and last a catch-all
so that an unknown URL under /api/ is answered in the API's error shape, not the HTML 404."""

import base64
import hashlib
import re

from django.conf import settings
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from cases import api as cases_api
from cases import visit_api
from reports import api as reports_api
from sanhe.api.errors import not_found
from sanhe.lib.csp import policy_header
from teams import api as teams_api
from villages import api as villages_api


class SwaggerUI(SpectacularSwaggerSplitView):
    """Swagger UI under the site's content security policy: its script is a file of its own (the
    split view); its one inline <style> is allowed by its hash on this page only."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200 and request.GET.get("script") is None:
            response.render()
            styles = STYLE_RE.findall(response.content.decode())
            if styles:
                configured = getattr(settings, "CONTENT_SECURITY_POLICY", {})
                policy = {name: list(sources) for name, sources in configured.items()}
                policy["style-src"] = [*policy.get("style-src", []), *(style_hash(style) for style in styles)]
                report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", False)
                header = "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"
                response.headers[header] = policy_header(policy)
        return response


STYLE_RE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def style_hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


router = SimpleRouter()
for app in (villages_api, teams_api, visit_api, cases_api, reports_api):
    app.register(router)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerUI.as_view(url_name="api-schema"), name="api-docs"),
    *router.urls,
    re_path(r"^", not_found),
]
