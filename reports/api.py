"""The figures in the API: the same numbers as /reports/summary.json (reports/figures.py's
summary, the period read by PeriodForm), for any staff role."""

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from reports.figures import summary
from reports.forms import PeriodForm
from sanhe.api.forms import refuse
from teams.roles import chosen_town


class SubShareSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()
    share = serializers.CharField(help_text="percentage of the total, truncated to two decimals; — for none")


class ShareSerializer(SubShareSerializer):
    subcategories = SubShareSerializer(many=True)


class UnclassifiedSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    share = serializers.CharField()


class FiguresSerializer(serializers.Serializer):
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    total = serializers.IntegerField()
    closed = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    closure_rate = serializers.CharField()
    categories = ShareSerializer(many=True)
    unclassified = UnclassifiedSerializer()


class FiguresViewSet(viewsets.ViewSet):
    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="起始日期 (YYYY-MM-DD)"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="截止日期 (YYYY-MM-DD)"),
            OpenApiParameter("town", OpenApiTypes.STR, description="乡镇简码（县级账号可选；乡镇账号只能是本镇）"),
        ],
        responses=FiguresSerializer,
    )
    def list(self, request):
        """Totals, closure rate and category shares of the cases raised in a period: the user's town's
        (the county's staff: the county's, or the town chosen with ?town=)."""
        town = chosen_town(request.user, request.query_params.get("town"))
        form = PeriodForm(request.query_params)
        if not form.is_valid():
            raise refuse(form)
        return Response({**form.period_json(), **summary(**form.period(), town=town).as_json()})


def register(router):
    """Add this app's endpoints to the API's router (sanhe/api/urls.py)."""
    router.register("figures", FiguresViewSet, basename="api-figures")
