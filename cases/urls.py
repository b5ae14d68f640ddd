from django.urls import path

app_name = "cases"

# Each block belongs to one views module; keep them apart.
urlpatterns = [
    # -- cases/views/lists.py: the office's case list, export, bulk actions
    # -- cases/views/ledger.py: importing an Excel ledger 台账
    # -- cases/views/detail.py: one case and its actions (must stay last: <number>/ catches the rest)
]
