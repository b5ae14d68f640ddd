"""The error summary at the top of a refused form's page: `{% load form_errors %}{% error_summary form %}`.

It lives in teams/ (not cases/) because the floors run one way: the cadre's visit forms (teams) and the
case pages (cases) both use it, and cases may read teams but not the reverse.
"""

from django import template
from django.forms import BaseForm, BoundField
from django.forms.widgets import ChoiceWidget

register = template.Library()


def _forms(args) -> list[BaseForm]:
    """The bound forms among ARGS (each a form, a list of forms, or nothing: None or a missing variable)."""
    found = []
    for arg in args:
        found += arg if isinstance(arg, (list, tuple)) else [arg]
    return [form for form in found if isinstance(form, BaseForm) and form.is_bound]


def _field_id(field: BoundField) -> str:
    """The id of the field's first input: a radio group's label points at none of them."""
    widget = field.field.widget
    if not field.id_for_label and isinstance(widget, ChoiceWidget):
        return widget.id_for_label(field.auto_id, "0")
    return field.id_for_label


def _autofocus(field: BoundField) -> None:
    """Give FIELD's first input the autofocus attribute (a browser focuses it without JavaScript). A
    radio group passes its attributes to every radio, so there only the first option gets it."""
    widget = field.field.widget
    if not (isinstance(widget, ChoiceWidget) and widget.option_inherits_attrs):
        widget.attrs["autofocus"] = True
        return
    create_option = widget.create_option  # the form's own copy of the widget: no other form sees this

    def first_focused(name, value, label, selected, index, subindex=None, attrs=None):
        option = create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        if index == 0 and not subindex:
            option["attrs"]["autofocus"] = True
        return option

    widget.create_option = first_focused


@register.inclusion_tag("_error_summary.html")
def error_summary(*forms, lead: str = "") -> dict:
    """Every error of FORMS, in page order, each linked to its field; the first field in error gets
    autofocus (the summary is rendered before the fields, so their widgets carry it). With no field to
    focus (only a form's own errors, or a hidden field's), the summary itself takes the focus."""
    items, focus = [], None
    for form in _forms(forms):
        items += [{"message": error} for error in form.non_field_errors()]
        for field in form:
            if not field.errors:
                continue
            link = "" if field.is_hidden else _field_id(field)
            items += [{"label": "" if field.is_hidden else field.label, "message": e, "id": link} for e in field.errors]
            if focus is None and link:
                focus = field
    if focus is not None:
        _autofocus(focus)
    return {"items": items, "lead": lead, "focus_summary": focus is None}
