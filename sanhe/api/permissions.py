"""The API's permissions are the pages': a role from teams/roles.py, the cases of
cases/access.py, the visits of cases/views/visits.py. Nobody without a staff role gets anything
(an anonymous caller: 401; a logged-in user without a role: 403)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from cases.access import can_edit_cases
from teams.roles import role_of


class IsStaff(BasePermission):
    """A cadre, office staff, a supervisor or an administrator; writes only for those who edit
    (supervisors read and spot-check, cases.access.can_edit_cases)."""

    def has_permission(self, request, view) -> bool:
        if role_of(request.user) is None:
            return False
        return request.method in SAFE_METHODS or can_edit_cases(request.user)


class HasRole(BasePermission):
    """Any staff role, whatever the method: for a POST that only reads (a supervisor asking to see
    a resident's contact details, as on the case page)."""

    def has_permission(self, request, view) -> bool:
        return role_of(request.user) is not None
