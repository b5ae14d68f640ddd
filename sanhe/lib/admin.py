"""What the admin sites of several apps share."""


class ReadOnlyMixin:
    """A table the app writes (history, logs): the admin shows it and never adds, changes or deletes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
