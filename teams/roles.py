"""Who may do what: the staff roles, decided from the user's groups in one place."""

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

CADRE = "cadre"
OFFICE = "office"
SUPERVISOR = "supervisor"
# The county's supervisors read every town's cases and figures and publish the county's notices.
COUNTY_SUPERVISOR = "county_supervisor"
# Administrators (superusers) are the county's: every town, and the admin site.
ADMIN = "admin"
ROLES = (CADRE, OFFICE, SUPERVISOR, COUNTY_SUPERVISOR)
# The roles whose user works for one town (teams.models.Cadre.town); the others for the whole county.
TOWN_ROLES = (CADRE, OFFICE, SUPERVISOR)


def role_of(user: User | AnonymousUser) -> str | None:
    """The user's role; administrators count as office staff with the admin on top."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    # Cached on the user object: views and templates ask more than once per request.
    if not hasattr(user, "_sanhe_role"):
        names = {g.name for g in user.groups.all()}
        user._sanhe_role = next((r for r in (OFFICE, SUPERVISOR, CADRE, COUNTY_SUPERVISOR) if r in names), None)
    return user._sanhe_role


def is_office(user) -> bool:
    return role_of(user) in (OFFICE, ADMIN)


def can_read_all_cases(user) -> bool:
    """Every case of the user's towns (towns_of), not only a team's."""
    return role_of(user) in (OFFICE, SUPERVISOR, COUNTY_SUPERVISOR, ADMIN)


def is_county(user) -> bool:
    """The county's staff: every town's cases and figures."""
    return role_of(user) in (COUNTY_SUPERVISOR, ADMIN)


def town_of(user):
    """The town a town's staff works for (a cadre's is their team's); None for the county's staff
    and for an account not yet given a town (which then sees no town's cases)."""
    if is_county(user) or not user.is_authenticated:
        return None
    # Cached on the user object, as the role: every page asks.
    if not hasattr(user, "_sanhe_town"):
        cadre = getattr(user, "cadre", None)
        user._sanhe_town = cadre.town if cadre else None
    return user._sanhe_town


def towns_of(user):
    """The towns whose cases and figures USER may read: the county's staff every town, others theirs."""
    from villages.models import Town

    if is_county(user):
        return Town.objects.all()
    town = town_of(user)
    return Town.objects.filter(pk=town.pk) if town else Town.objects.none()


def team_of(user):
    """The cadre's team, or None for staff without one."""
    cadre = getattr(user, "cadre", None) if user.is_authenticated else None
    return cadre.team if cadre else None


def require_role(user, *roles: str) -> str:
    role = role_of(user)
    if role == ADMIN or role in roles:
        return role
    raise PermissionDenied
