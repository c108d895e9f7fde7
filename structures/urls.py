from django.urls import path

from . import views

app_name = "structures"

urlpatterns = [
    path("rattachement/", views.request_attachment, name="request_attachment"),
    path("nouvelle/", views.new_structure, name="new"),
    path("recherche/export.csv", views.export_search, name="search_export"),
    path("demandes/<int:pk>/accepter/", views.accept_request, name="accept_request"),
    path("demandes/<int:pk>/refuser/", views.refuse_request, name="refuse_request"),
    path("<int:pk>/gestionnaire-principal/", views.hand_over, name="hand_over"),
]
