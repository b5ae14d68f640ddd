"""Teams in the API, read by every staff role (the visits are cases/visit_api.py's)."""

from django.db.models import Count
from rest_framework import serializers, viewsets

from teams.models import Team


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TeamSerializer(serializers.ModelSerializer):
    village = NamedSerializer()
    leader = NamedSerializer(allow_null=True)
    liaison = NamedSerializer(allow_null=True)
    members_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "number", "name", "village", "leader", "liaison", "members_count"]


class TeamDetailSerializer(TeamSerializer):
    """One team with its members: the cadres a case's `responsible` or a feedback's `given_by` names."""

    members = NamedSerializer(many=True, read_only=True)

    class Meta(TeamSerializer.Meta):
        fields = [*TeamSerializer.Meta.fields, "members"]


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """驻点团队, with the number of their members (and, one team, the members): every staff role reads
    all of them."""

    lookup_value_regex = r"[0-9]{1,9}"

    queryset = Team.objects.select_related("village", "leader", "liaison").annotate(members_count=Count("members"))
    ordering = "number"  # unique

    def get_queryset(self):
        teams = super().get_queryset()
        return teams.prefetch_related("members") if self.action == "retrieve" else teams

    def get_serializer_class(self):
        return TeamDetailSerializer if self.action == "retrieve" else TeamSerializer


def register(router):
    """Add this app's endpoints to the API's router (sanhe/api/urls.py)."""
    router.register("teams", TeamViewSet, basename="api-team")
