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


def chosen_town(user, code: str | None = None):
    """The town a page is about: a town's staff always their own; the county's staff the town whose
    short code they chose (?town=SH), or None for the whole county. A code the user may not read, or
    none at all, is PermissionDenied for a town's staff and Http404 for the county's (no such town)."""
    from django.http import Http404

    from villages.models import Town

    code = (code or "").strip().upper()
    if not is_county(user):
        town = town_of(user)
        if town is None or (code and code != town.code):
            raise PermissionDenied
        return town
    if not code:
        return None
    town = Town.objects.filter(code=code).first()
    if town is None:
        raise Http404
    return town
