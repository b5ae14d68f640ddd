"""/track/: a resident follows their own case (mounted in sanhe/urls.py)."""

from django.urls import path

from public import views

app_name = "track"
urlpatterns = [
    path("", views.track, name="index"),
]
