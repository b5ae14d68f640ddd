from django.conf import settings

from teams.roles import role_of


def role(request):
    return {"role": role_of(request.user)}


def town(request):
    return {"town_phone": settings.TOWN_PHONE, "town_name": settings.TOWN_NAME}
