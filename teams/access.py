"""Who may see and change which visits: the visit pages' rule and the API's alike."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from teams.models import Visit
from teams.roles import (
    ADMIN,
    CADRE,
    COUNTY_SUPERVISOR,
    OFFICE,
    SUPERVISOR,
    is_county,
    require_role,
    role_of,
    team_of,
    town_of,
)


def can_edit_visits(user) -> bool:
    """Cadres record their own team's visits; office staff may correct any; supervisors only read."""
    return role_of(user) in (CADRE, OFFICE, ADMIN)


def visits_for_user(user) -> QuerySet:
    """The visits USER may see: a cadre's own team's, their town's teams' for office staff and
    supervisors, every town's for the county's (PermissionDenied for anyone else). The pages' and
    the API's (cases/visit_api.py) alike."""
    role = require_role(user, CADRE, OFFICE, SUPERVISOR, COUNTY_SUPERVISOR)
    if is_county(user):
        return Visit.objects.all()
    if role != CADRE:
        town = town_of(user)
        return Visit.objects.filter(team__town=town) if town else Visit.objects.none()
    team = team_of(user)
    return Visit.objects.filter(team=team) if team else Visit.objects.none()


def get_visit_for_user(user, pk: int, *, for_update: bool = False) -> Visit:
    """The visit PK if USER may see it (404 for another team's); PermissionDenied when
    FOR_UPDATE and the user may only read."""
    visits = visits_for_user(user).select_related("team", "village", "created_by__cadre")
    visit = get_object_or_404(visits, pk=pk)
    if for_update and not can_edit_visits(user):
        raise PermissionDenied
    return visit
