"""Signing in with a username and password, and finding the signed-in user on every request."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class StaffBackend(ModelBackend):
    """Django's backend, loading the user's staff record, town and team in the same query: every
    page asks whose town and team the user works for (teams.roles), the header names the town."""

    def get_user(self, user_id):
        try:
            user = get_user_model()._default_manager.select_related("cadre__town", "cadre__team").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
