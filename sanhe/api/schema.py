"""The OpenAPI document's parts that no view states itself: the token scheme, and the error
shape (sanhe/api/errors.py) under every operation's error statuses."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_STATUSES = {
    "400": "请求内容有误（每条消息一项，field 指出字段）",
    "401": "未登录或 API 密钥无效",
    "403": "无权进行此操作",
    "404": "不存在或无权查看",
    "405": "不支持此方法",
    "409": "版本冲突：问题已被他人修改",
    "429": "请求过于频繁",
    "500": "服务器出错",
}
READ_STATUSES = ("401", "403", "404", "405", "429", "500")


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "sanhe.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Authorization: Bearer <key> (or Token <key>); keys are issued on the account page.",
        }


def add_error_responses(result, generator, request, public):
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]: the Errors schema, and a reference to it for
    each error status an operation may answer (400 and 409 on writes)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorEntry"] = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "example": "not_found"},
            "message": {"type": "string"},
            "field": {"type": "string", "nullable": True},
        },
        "required": ["code", "message", "field"],
    }
    schemas["Errors"] = {
        "type": "object",
        "properties": {"errors": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorEntry"}}},
        "required": ["errors"],
    }
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            statuses = READ_STATUSES if method == "get" else tuple(ERROR_STATUSES)
            if method == "get" and any(p.get("in") == "query" for p in operation.get("parameters", [])):
                statuses = ("400", *statuses)
            responses = operation.setdefault("responses", {})
            for code in statuses:
                responses.setdefault(code, {"description": ERROR_STATUSES[code], "content": ref})
    return result
