from django.urls import path

from . import views

app_name = "banking"

urlpatterns = [
    path("ajouter/", views.add, name="add"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/rib/", views.rib, name="rib"),
]
