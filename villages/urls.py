from django.urls import path

from villages import views

app_name = "notice"
urlpatterns = [
    path("", views.notice_index, name="index"),
    path("<str:code>/", views.notice_village, name="village"),
]
