"""/open311/: Open311 GeoReport v2 (public/open311/views.py), each method as .json and .xml."""

from django.urls import path

from public.open311 import views

app_name = "open311"
urlpatterns = [
    path("discovery.<str:fmt>", views.discovery, name="discovery"),
    path("v2/services.<str:fmt>", views.service_list, name="services"),
    path("v2/services/<str:code>.<str:fmt>", views.service_definition, name="service"),
    path("v2/requests.<str:fmt>", views.requests, name="requests"),
    path("v2/requests/<str:number>.<str:fmt>", views.request_detail, name="request"),
    path("v2/tokens/<str:token>.<str:fmt>", views.token, name="token"),
]
