from django.urls import path

from villages import views

app_name = "notice"
urlpatterns = [
    path("", views.notice_index, name="index"),
    path("text-size/", views.text_size, name="text_size"),
    path("<str:code>/", views.notice_village, name="village"),
    path("<str:code>/print/", views.notice_print, name="print"),
]
