from django.conf import settings

from teams.roles import role_of, town_of


def role(request):
    return {"role": role_of(request.user)}


def town(request):
    """The town a signed-in user works for, else the county: whose name and phone the pages show.
    A public page of one town's (a village's board) passes that town's instead."""
    town = town_of(request.user) if hasattr(request, "user") else None
    if town is not None:
        return {"town": town, "town_name": town.name, "town_phone": town.phone or settings.COUNTY_PHONE}
    return {"town": None, "town_name": settings.COUNTY_NAME, "town_phone": settings.COUNTY_PHONE}
