"""Who may do what: the staff roles, decided from the user's groups in one place."""

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

CADRE = "cadre"
OFFICE = "office"
SUPERVISOR = "supervisor"
ADMIN = "admin"
ROLES = (CADRE, OFFICE, SUPERVISOR)


def role_of(user: User | AnonymousUser) -> str | None:
    """The user's role; administrators count as office staff with the admin on top."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    # Cached on the user object: views and templates ask more than once per request.
    if not hasattr(user, "_sanhe_role"):
        names = {g.name for g in user.groups.all()}
        user._sanhe_role = next((r for r in (OFFICE, SUPERVISOR, CADRE) if r in names), None)
    return user._sanhe_role


def is_office(user) -> bool:
    return role_of(user) in (OFFICE, ADMIN)


def can_read_all_cases(user) -> bool:
    return role_of(user) in (OFFICE, SUPERVISOR, ADMIN)


def team_of(user):
    """The cadre's team, or None for staff without one."""
    cadre = getattr(user, "cadre", None) if user.is_authenticated else None
    return cadre.team if cadre else None


def require_role(user, *roles: str) -> str:
    role = role_of(user)
    if role == ADMIN or role in roles:
        return role
    raise PermissionDenied
