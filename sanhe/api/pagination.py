"""Cursor pagination for every list: 50 rows a page (?page_size= up to 200), ordered by a unique
key so that a row added while a client walks the pages is neither skipped nor seen twice."""

from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"  # newest first; a view may set `ordering` (a unique key) of its own

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)
