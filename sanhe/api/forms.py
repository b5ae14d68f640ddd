"""The API validates with the pages' own Django forms (one set of rules); these helpers feed a
form from a JSON body, turn its errors into the API's error shape, and describe it in the schema
as a serializer built from the form's fields (so the schema cannot drift from the form)."""

import datetime

from django import forms
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError


def form_data(data) -> MultiValueDict:
    """A JSON body as a form reads a post: true/false as "1"/"0" (a checkbox, or a yes/no choice),
    numbers and dates as text, null as empty, a list as a field's several values (a field of one
    value reads the last, as from a form post); a QueryDict (a form post) as it is. An object where
    a value belongs is refused: a form's field would fail on it with a 500."""
    if hasattr(data, "getlist"):
        return data
    if not isinstance(data, dict):
        raise ValidationError(
            {"non_field_errors": [ErrorDetail(_("请求内容应为一个 JSON 对象。"), code="parse_error")]}
        )
    values = MultiValueDict()
    for name, value in data.items():
        values.setlist(name, [_as_text(name, item) for item in (value if isinstance(value, list) else [value])])
    return values


def _as_text(name: str, value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str | int | float):
        return str(value)
    raise ValidationError({name: [ErrorDetail(_("这里应是一个值。"), code="invalid")]})


def refuse(form: forms.BaseForm) -> ValidationError:
    """The form's messages as the API's 400: one entry per message, by field."""
    detail = {
        (name if name != forms.forms.NON_FIELD_ERRORS else "non_field_errors"): [
            ErrorDetail(error["message"], code=error["code"] or "invalid") for error in errors
        ]
        for name, errors in form.errors.get_json_data().items()
    }
    return ValidationError(detail)


def _field(field: forms.Field) -> serializers.Field | None:
    common = {"required": field.required, "help_text": str(field.help_text or field.label or "")}
    if isinstance(field, forms.FileField):
        return None
    if isinstance(field, forms.ModelMultipleChoiceField):
        return serializers.ListField(child=serializers.IntegerField(), **common)
    if isinstance(field, forms.ModelChoiceField):
        return serializers.IntegerField(**common, allow_null=not field.required)
    if isinstance(field, forms.ChoiceField):
        choices = [(value, label) for value, label in field.choices if not isinstance(label, (list, tuple))]
        if choices:
            return serializers.ChoiceField(choices=choices, **common)
        return serializers.CharField(**common)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(**common)
    if isinstance(field, forms.DateField):
        return serializers.DateField(**common, allow_null=not field.required)
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(**common, min_value=field.min_value, max_value=field.max_value)
    return serializers.CharField(**common, max_length=field.max_length, allow_blank=not field.required)


def serializer_for_form(form_class: type[forms.BaseForm], name: str, *, exclude=(), extra=None):
    """A serializer class named NAME whose fields are FORM_CLASS's (less EXCLUDE, plus EXTRA): for the
    schema only; the form validates."""
    fields = {}
    for field_name, field in form_class.base_fields.items():
        if field_name in exclude:
            continue
        described = _field(field)
        if described is not None:
            fields[field_name] = described
    fields |= extra or {}
    return type(name, (serializers.Serializer,), fields)
