from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.summary_page, name="summary"),
    path("summary.json", views.summary_json, name="summary_json"),
]
