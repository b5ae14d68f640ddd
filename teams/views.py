from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from teams.roles import role_of


def home(request: HttpRequest) -> HttpResponse:
    """Staff land on their work; everyone else on the public notice board."""
    if role_of(request.user) in ("office", "supervisor", "admin", "cadre"):
        return redirect("reports:summary") if role_of(request.user) != "cadre" else redirect("notice:index")
    return redirect("notice:index")
