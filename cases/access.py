"""Which cases a user may see and change: the one place every view asks."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from cases.models import Case
from teams.roles import ADMIN, CADRE, COUNTY_SUPERVISOR, OFFICE, SUPERVISOR, role_of, team_of, town_of


def cases_for_user(user, *, with_voided: bool = False) -> QuerySet:
    """The county's staff see every town's cases; office staff and supervisors their town's; a cadre
    only their own team's. Lists and figures leave voided cases out; one case's page (WITH_VOIDED)
    still shows what happened to it."""
    role = role_of(user)
    cases = Case.with_voided if with_voided else Case.objects
    if role in (COUNTY_SUPERVISOR, ADMIN):
        return cases.all()
    if role in (OFFICE, SUPERVISOR):
        town = town_of(user)
        return cases.for_town(town) if town else cases.none()
    if role == CADRE:
        team = team_of(user)
        return cases.for_team(team) if team else cases.none()
    raise PermissionDenied


def can_edit_cases(user) -> bool:
    """Supervisors read and spot-check; they do not edit the ledger."""
    return role_of(user) in (OFFICE, CADRE, ADMIN)  # not the county's supervisors either


def get_case_for_user(user, number: str, *, for_update: bool = False) -> Case:
    """The case NUMBER if USER may see it (404 otherwise, so outsiders learn nothing);
    PermissionDenied when FOR_UPDATE and the user may only read."""
    cases = cases_for_user(user, with_voided=True).select_related(
        "town",
        "village",
        "team",
        "visit",
        "category",
        "subcategory",
        "responsible",
        "created_by__cadre",
        "voided_by__cadre",
        "hotline_signed_by",
    )
    try:
        case = cases.get(number=number)
    except Case.DoesNotExist:
        raise Http404 from None
    if for_update and not can_edit_cases(user):
        raise PermissionDenied
    return case
