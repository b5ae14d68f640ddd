"""Visits in the API, as the visit pages (cases/views/visits.py): a cadre their own team's, office
staff and supervisors their town's teams'; a cadre records their team's visit, checked by the page's
VisitForm. Also the Idempotency-Key every creating endpoint reads (the forms' one-time key)."""

from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from cases.visit_forms import REQUEST_KEY, REQUEST_KEY_LENGTH, VisitForm
from sanhe.api.forms import form_data, refuse, serializer_for_form
from teams.access import get_visit_for_user, visits_for_user
from teams.api import NamedSerializer
from teams.models import Subgroup, Visit
from teams.roles import CADRE, role_of, team_of

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="A key of the client's choosing (≤ 64 characters): the same request sent again returns "
    "what the first one created (200) instead of creating it twice.",
)


def idempotency_key(request) -> str:
    return request.headers.get("Idempotency-Key", "").strip()[:REQUEST_KEY_LENGTH]


class VisitSerializer(serializers.ModelSerializer):
    team = NamedSerializer()
    village = NamedSerializer()
    subgroups = serializers.SerializerMethodField()
    cases_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "team",
            "village",
            "date",
            "off_day_reason",
            "subgroups",
            "households_visited",
            "key_people",
            "briefing_notes",
            "summary",
            "cases_count",
            "created_at",
        ]

    def get_subgroups(self, visit: Visit) -> list[str]:
        return [subgroup.name for subgroup in visit.subgroups.all()]


class VisitRowSerializer(VisitSerializer):
    """A row of the visit list: as the list page, without the visit's free text (its key people may
    name vulnerable residents); one visit's detail carries it."""

    class Meta(VisitSerializer.Meta):
        fields = [f for f in VisitSerializer.Meta.fields if f not in ("key_people", "briefing_notes", "summary")]


VisitInput = serializer_for_form(VisitForm, "VisitInput", exclude=(REQUEST_KEY,))


def visits_with_counts(user):
    """The visits the visit list shows USER (teams/access.py visits_for_user), with their subgroups and cases."""
    visits = visits_for_user(user).select_related("team", "village")
    visits = visits.prefetch_related(Prefetch("subgroups", queryset=Subgroup.objects.order_by("name")))
    return visits.annotate(cases_count=Count("cases", filter=Q(cases__voided_at__isnull=True)))


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """驻点记录: a cadre's own team's, every team's for office staff and supervisors."""

    lookup_value_regex = r"[0-9]{1,9}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generator, no user
            return Visit.objects.none()
        return visits_with_counts(self.request.user)

    def get_serializer_class(self):
        return VisitRowSerializer if self.action == "list" else VisitSerializer

    def get_object(self):
        get_visit_for_user(self.request.user, self.kwargs["pk"])  # the page's rule: 404 for another team's
        return super().get_object()

    @extend_schema(
        request=VisitInput, responses={201: VisitSerializer, 200: VisitSerializer}, parameters=[IDEMPOTENCY_KEY]
    )
    def create(self, request, *args, **kwargs):
        """Record the cadre's own team's visit (the page's form and its checks)."""
        team = team_of(request.user) if role_of(request.user) == CADRE else None
        if team is None:
            raise PermissionDenied()
        key = idempotency_key(request)
        first = Visit.objects.filter(created_by=request.user, request_key=key).first() if key else None
        if first is not None:
            return Response(self._read(first.pk), status=status.HTTP_200_OK)
        form = VisitForm(form_data(request.data), team=team)
        if not form.is_valid():
            raise refuse(form)
        try:
            with transaction.atomic():
                visit = form.save(commit=False)
                visit.created_by, visit.request_key = request.user, key
                visit.save()
                form.save_m2m()
        except IntegrityError:  # the same key or day saved a moment earlier
            first = Visit.objects.filter(created_by=request.user, request_key=key).first() if key else None
            if first is None:
                form.add_error("date", _("本团队这一天在该村的驻点已经记录过了。"))
                raise refuse(form) from None
            return Response(self._read(first.pk), status=status.HTTP_200_OK)
        return Response(self._read(visit.pk), status=status.HTTP_201_CREATED)

    def _read(self, pk: int) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=pk)).data


def register(router):
    """Add the visits' endpoints to the API's router (sanhe/api/urls.py)."""
    router.register("visits", VisitViewSet, basename="api-visit")
