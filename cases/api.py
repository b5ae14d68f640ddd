"""Cases in the API, with the pages' rules: the cases of cases/access.py, the case list's filters
(cases/filters.py), a problem registered as the visit page's form does (cases/visit_forms.py
ProblemForm, cases/workflow.py register_case), and each action of the case page (cases/views/
detail.py ACTIONS: its form, its workflow function, who may take it) as a POST of its own:
/api/cases/<number>/<action>/.

Every action's body carries the case's `version` as read: a stale one is refused with 409 by the
actions that change the record (triage, close, reopen, responsible, due date, edit, void), as on
the page; the ones that only add a line (progress, refer, reply, feedback) overwrite nothing and
take it as the page does.

The resident's name is shown as on the case page; the phone and address masked. Their full
values are a POST of their own (/api/cases/<number>/contact/), for the roles that may see them
(cases/pipl.py can_reveal_contact), and each look is written to the access log."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action as extra_action
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.response import Response

from cases import pipl, workflow
from cases.access import cases_for_user, get_case_for_user
from cases.filters import CaseFilter
from cases.forms import EditForm
from cases.models import Case, CaseEvent, ContactAccess, Feedback, Referral
from cases.views.detail import ACTIONS, actions_for, actions_of
from cases.views.visits import register_problem
from cases.visit_api import IDEMPOTENCY_KEY, idempotency_key
from cases.visit_forms import REQUEST_KEY, ProblemForm
from sanhe.api.errors import Conflict
from sanhe.api.forms import form_data, refuse, serializer_for_form
from sanhe.api.permissions import HasRole
from teams.access import get_visit_for_user
from teams.api import NamedSerializer
from teams.roles import is_office

# The URL of each action (/api/cases/<number>/<url>/) and the case page's name for it.
API_ACTIONS = {
    "triage": "triage",
    "progress": "add_progress",
    "refer": "refer",
    "reply": "record_reply",
    "close": "close",
    "feedback": "record_feedback",
    "reopen": "reopen",
    "responsible": "assign_responsible",
    "due": "set_due_date",
    "edit": "edit_case",
    "void": "void",
}
API_NAMES = {page: url for url, page in API_ACTIONS.items()}

LIST_RELATED = ("village", "team", "category", "subcategory", "responsible")


class ApiCaseFilter(CaseFilter):
    """The case list's filters; the order is the cursor's (newest registered first)."""


del ApiCaseFilter.base_filters["sort"]


class VillageRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField(source="short_name")


class CategoryRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField()


class CaseSerializer(serializers.ModelSerializer):
    """A row of the case list: no resident's details."""

    village = VillageRef()
    team = NamedSerializer(allow_null=True)
    category = CategoryRef(allow_null=True)
    subcategory = CategoryRef(allow_null=True)
    responsible = NamedSerializer(allow_null=True)

    class Meta:
        model = Case
        fields = [
            "number",
            "village",
            "team",
            "raised_on",
            "channel",
            "kind",
            "category",
            "subcategory",
            "title",
            "status",
            "decision",
            "responsible",
            "due_on",
            "closure",
            "closed_on",
            "fed_back_on",
            "public_posting",
            "version",
            "created_at",
            "updated_at",
            "voided_at",
        ]


class EventSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    line = serializers.CharField(source="shown_text", help_text="the history line as the case page shows it")

    class Meta:
        model = CaseEvent
        fields = ["at", "kind", "author", "status_from", "status_to", "public", "line"]

    def get_author(self, event: CaseEvent) -> str | None:
        if event.author is None:
            return None
        cadre = getattr(event.author, "cadre", None)
        return cadre.name if cadre is not None else event.author.get_username()


class ReferralSerializer(serializers.ModelSerializer):
    helper = NamedSerializer()

    class Meta:
        model = Referral
        fields = ["id", "helper", "asked_on", "request", "replied_on", "reply"]


class FeedbackSerializer(serializers.ModelSerializer):
    given_by = NamedSerializer(allow_null=True)

    class Meta:
        model = Feedback
        fields = ["id", "given_on", "channel", "given_by", "satisfaction", "notes"]


class ResidentSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True, help_text="as the case page shows it; blank once anonymised")
    phone = serializers.CharField(allow_blank=True, help_text="masked (139****5678)")
    address = serializers.CharField(allow_blank=True, help_text="masked: the village part only")
    anonymised_on = serializers.DateField(allow_null=True)


class HotlineSerializer(serializers.Serializer):
    """A 12345 work order's own facts (cases/hotline.py); its 办理时限 is the case's due_on."""

    number = serializers.CharField(source="hotline_number", help_text="工单编号")
    received_at = serializers.DateTimeField(source="hotline_received_at", allow_null=True, help_text="来电时间")
    sign_by = serializers.DateTimeField(source="hotline_sign_by", allow_null=True, help_text="签收时限")
    signed_at = serializers.DateTimeField(source="hotline_signed_at", allow_null=True, help_text="签收时间")
    handler = serializers.CharField(source="hotline_handler", help_text="承办单位")


class CaseDetailSerializer(CaseSerializer):
    """One case as its page shows it: the record, its history, referrals and feedback, and the
    actions the caller may take on it now."""

    resident = serializers.SerializerMethodField()
    history = EventSerializer(source="events", many=True)
    referrals = ReferralSerializer(many=True)
    feedback = FeedbackSerializer(many=True)
    actions = serializers.SerializerMethodField()
    hotline = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "description",
            "plan",
            "planned_on",
            "policy_basis",
            "explaining_department",
            "result",
            "void_reason",
            "resident",
            "history",
            "referrals",
            "feedback",
            "actions",
            "hotline",
        ]

    @extend_schema_field(ResidentSerializer)
    def get_resident(self, case: Case) -> dict:
        return ResidentSerializer(
            {
                "name": "" if case.anonymised_on else case.resident_name,
                "phone": pipl.mask_phone(case.resident_phone),
                "address": pipl.mask_address(case.resident_address),
                "anonymised_on": case.anonymised_on,
            }
        ).data

    def get_actions(self, case: Case) -> list[str]:
        user = self.context["request"].user
        allowed = actions_for(user, case)
        actions = [url for url, page in API_ACTIONS.items() if page in allowed]
        return [*actions, "sign"] if is_office(user) and "sign_for" in workflow.allowed_actions(case) else actions

    @extend_schema_field(HotlineSerializer(allow_null=True))
    def get_hotline(self, case: Case) -> dict | None:
        return HotlineSerializer(case).data if case.hotline_number else None


class ContactSerializer(serializers.Serializer):
    resident_name = serializers.CharField(allow_blank=True)
    resident_phone = serializers.CharField(allow_blank=True)
    resident_address = serializers.CharField(allow_blank=True)


CaseInput = serializer_for_form(
    ProblemForm,
    "CaseInput",
    exclude=(REQUEST_KEY, "photos"),
    extra={"visit": serializers.IntegerField(help_text="the visit (驻点记录) the problem was raised on")},
)


def with_history(case: Case) -> Case:
    """CASE with what its detail shows, in three queries whatever its length."""
    prefetch_related_objects(
        [case],
        Prefetch("events", queryset=CaseEvent.objects.select_related("author__cadre").order_by("at", "id")),
        Prefetch("referrals", queryset=Referral.objects.select_related("helper").order_by("asked_on", "id")),
        Prefetch("feedback", queryset=Feedback.objects.select_related("given_by").order_by("given_on", "id")),
    )
    return case


def _edit_data(case: Case, sent) -> dict:
    """The edit form's data: the record as it is, with what was SENT over it (a partial edit).
    The contact details only when one of them is sent (the form carries them only then)."""
    sent = dict(sent.items()) if hasattr(sent, "getlist") else sent
    with_contact = any(name in sent for name in EditForm.CONTACT_FIELDS)
    base = {}
    for name in EditForm.FIELDS:
        if with_contact or name not in EditForm.CONTACT_FIELDS:
            base[name] = getattr(case, f"{name}_id" if name in ("category", "subcategory") else name)
    return form_data(base).dict() | sent


def _refused(message: str, code: str) -> ValidationError:
    return ValidationError({"non_field_errors": [ErrorDetail(message, code=code)]})


@extend_schema_view(
    list=extend_schema(summary="The case list, with its filters"),
    retrieve=extend_schema(summary="One case: record, history, referrals, feedback"),
)
class CaseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """问题台账: a cadre their own team's cases, office staff and supervisors every case."""

    lookup_field = "number"
    lookup_value_regex = r"[^/]+"
    filterset_class = ApiCaseFilter
    serializer_class = CaseSerializer
    ordering = "-pk"  # newest registered first; unique

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generator, no user
            return Case.objects.none()
        return cases_for_user(self.request.user).select_related(*LIST_RELATED)

    def _detail(self, case: Case, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(
            CaseDetailSerializer(with_history(case), context=self.get_serializer_context()).data, status_code
        )

    @extend_schema(responses=CaseDetailSerializer)
    def retrieve(self, request, number=None):
        return self._detail(get_case_for_user(request.user, number))

    @extend_schema(
        summary="Register a problem raised on a visit (the visit page's form)",
        request=CaseInput,
        responses={201: CaseDetailSerializer, 200: CaseDetailSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request):
        data = form_data(request.data)
        visit = request.data.get("visit")
        if isinstance(visit, bool) or not re.fullmatch(r"[0-9]{1,9}", str(visit if visit is not None else "")):
            raise ValidationError({"visit": [ErrorDetail(_("请指定驻点记录（visit）。"), code="required")]})
        visit_pk = int(visit)
        visit = get_visit_for_user(request.user, visit_pk, for_update=True)
        key = idempotency_key(request)
        first = workflow.registered_with_key(request.user, key)
        if first is not None:  # the same request sent again: what the first one registered
            return self._detail(get_case_for_user(request.user, first.number))
        form = ProblemForm(data, visit=visit)
        if not form.is_valid():
            raise refuse(form)
        try:
            case = register_problem(form, request.user, key)
        except workflow.AlreadyRegistered as sent_before:
            return self._detail(get_case_for_user(request.user, sent_before.case.number))
        except workflow.TransitionNotAllowed as refused:
            raise _refused(str(refused), "not_allowed") from None
        except DjangoValidationError as invalid:
            raise ValidationError(
                {"non_field_errors": [ErrorDetail(m, code="invalid") for m in invalid.messages]}
            ) from None
        return self._detail(get_case_for_user(request.user, case.number), status.HTTP_201_CREATED)

    @extend_schema(
        summary="The resident's name, phone and address in full (the look is logged)",
        request=None,
        responses=ContactSerializer,
    )
    @extra_action(detail=True, methods=["post"], url_path="contact", permission_classes=[HasRole])
    def contact(self, request, number=None):
        case = get_case_for_user(request.user, number)
        if not pipl.can_reveal_contact(request.user, case):
            raise PermissionDenied()
        pipl.log_access(request, ContactAccess.What.CONTACT, case=case, fields=pipl.CONTACT_FIELDS)
        return Response(
            {
                "resident_name": case.resident_name,
                "resident_phone": case.resident_phone,
                "resident_address": case.resident_address,
            }
        )

    @extend_schema(
        summary="sign: sign for a 12345 work order (签收), once, by the office",
        request=None,
        responses=CaseDetailSerializer,
    )
    @extra_action(detail=True, methods=["post"], url_path="sign")
    def sign(self, request, number=None):
        if not is_office(request.user):
            raise PermissionDenied()
        case = get_case_for_user(request.user, number, for_update=True)
        try:
            workflow.sign_for(case=case, by=request.user)
        except workflow.TransitionNotAllowed as refused:
            raise _refused(str(refused), "not_allowed") from None
        return self._detail(get_case_for_user(request.user, number))

    def perform_action(self, request, number: str, action: str) -> Response:
        """As the case page's _perform: the action's form, its workflow function, the same refusals
        (404 outsiders, 403 readers and roles that do not take it, 400 the form, 409 stale)."""
        case = get_case_for_user(request.user, number, for_update=True)
        if action not in actions_of(request.user):
            raise PermissionDenied()
        data = form_data(request.data)
        extra = {}
        if action == "record_feedback":
            extra["user"] = request.user
        if action == "edit_case":
            data = _edit_data(case, data)
            sent_contact = any(name in data for name in EditForm.CONTACT_FIELDS)
            extra["contact"] = sent_contact and pipl.can_reveal_contact(request.user, case)
        form = ACTIONS[action].form(data, case=case, **extra)
        if not form.is_valid():
            raise refuse(form)
        try:
            ACTIONS[action].run(case, request.user, form.cleaned_data["version"], **form.arguments())
        except workflow.Conflict:
            raise Conflict() from None
        except workflow.TransitionNotAllowed as refused:
            raise _refused(str(refused), "not_allowed") from None
        except DjangoValidationError as invalid:
            for field, errors in invalid.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            raise refuse(form) from None
        return self._detail(get_case_for_user(request.user, number))


def _action_view(url: str, action: str):
    form = ACTIONS[action].form
    body = serializer_for_form(form, f"{form.__name__.removesuffix('Form')}Input")

    def view(self, request, number=None):
        return self.perform_action(request, number, action)

    view.__name__ = view.__qualname__ = f"{url}_action"
    view.__doc__ = str(ACTIONS[action].done)
    view = extra_action(detail=True, methods=["post"], url_path=url, url_name=url)(view)
    return extend_schema(
        summary=f"{url}: {ACTIONS[action].done}",
        request=body,
        responses={200: CaseDetailSerializer, 409: OpenApiResponse(description="stale version")},
    )(view)


for _url, _action in API_ACTIONS.items():
    setattr(CaseViewSet, f"{_url}_action", _action_view(_url, _action))


def register(router):
    """Add the case endpoints to the API's router (sanhe/api/urls.py)."""
    router.register("cases", CaseViewSet, basename="api-case")
