"""The villages in the API: read only, for every staff role (settings.REST_FRAMEWORK's defaults)."""

from rest_framework import serializers, viewsets

from villages.models import Village


class VillageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Village
        fields = ["id", "code", "name", "short_name", "kind", "households", "population"]


class VillageViewSet(viewsets.ReadOnlyModelViewSet):
    """村（社区）: every staff role reads all of them."""

    lookup_value_regex = r"[0-9]{1,9}"

    queryset = Village.objects.all()
    serializer_class = VillageSerializer
    ordering = "code"  # unique: the cursor's key


def register(router):
    """Add this app's endpoints to the API's router (sanhe/api/urls.py)."""
    router.register("villages", VillageViewSet, basename="api-village")
