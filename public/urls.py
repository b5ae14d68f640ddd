from django.urls import path

from public import views

app_name = "board"
urlpatterns = [
    path("", views.board_index, name="index"),
    path("text-size/", views.text_size, name="text_size"),
    # Before the village codes (twelve digits): a town's board by its short code.
    path("town/<str:code>/", views.board_town, name="town"),
    path("<str:code>/", views.board_village, name="village"),
    path("<str:code>/print/", views.board_print, name="print"),
]
