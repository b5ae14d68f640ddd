"""One shape for every error the API answers, whatever raised it:

    {"errors": [{"code": "not_found", "message": "…", "field": null}]}

A refused form or body gives one entry per message, FIELD naming the field (null for the form as a
whole). Messages are in the request's language (simplified Chinese unless the client asks for
another with Accept-Language)."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("sanhe.api")

NON_FIELD = {"non_field_errors", "__all__", "detail"}


class Conflict(exceptions.APIException):
    """The case changed since the client read it: its `version` is not the one sent."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail=None, code=None):
        super().__init__(detail or _("这个问题已被他人修改，请重新读取后再提交。"), code)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="not_found, invalid, required, conflict, not_authenticated …")
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True, help_text="the field a validation message is about, or null")


class ErrorsSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)


def entries(detail, field: str | None = None) -> list[dict]:
    """The entries of a DRF error DETAIL (a message, a list, or a dict by field; nested)."""
    if isinstance(detail, dict):
        found = []
        for name, value in detail.items():
            inner = None if name in NON_FIELD else (f"{field}.{name}" if field else str(name))
            found += entries(value, inner)
        return found
    if isinstance(detail, list):
        return [entry for item in detail for entry in entries(item, field)]
    code = getattr(detail, "code", None) or "invalid"
    return [{"code": str(code), "message": str(detail), "field": field}]


def body(errors: list[dict]) -> dict:
    return {"errors": errors}


def exception_handler(exc, context):
    """settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]: DRF's answer, reshaped; an unexpected
    exception is logged and answered 500 in the same shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("找不到这个对象，或您无权查看。"))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) if exc.args else None)
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("API error on %s", context["request"].path, exc_info=exc)
        message = _("服务器出错了，请稍后再试。")
        return Response(body([{"code": "server_error", "message": message, "field": None}]), status=500)
    if isinstance(exc, exceptions.ValidationError):
        response.data = body(entries(exc.detail))
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = body([{"code": code, "message": str(exc.detail), "field": None}])
    return response


def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any URL under /api/ that no endpoint answers (sanhe/api/urls.py's last route)."""
    error = {"code": "not_found", "message": _("没有这个接口：%(path)s") % {"path": request.path}, "field": None}
    return JsonResponse(body([error]), status=404, json_dumps_params={"ensure_ascii": False})


def bad_request(request: HttpRequest, reason: str) -> JsonResponse:
    """sanhe/lib/badrequest.py's refusal (a path or query no view may read) in the API's shape."""
    error = {"code": "bad_request", "message": reason, "field": None}
    return JsonResponse(body([error]), status=400, json_dumps_params={"ensure_ascii": False})
