from django.urls import path

from . import views

urlpatterns = [
    path("rattachement/", views.request_attachment, name="request_attachment"),
    path("nouvelle/", views.new_structure, name="new_structure"),
    path("recherche/export.csv", views.export_search, name="structure_search_export"),
    path("demandes/<int:pk>/accepter/", views.accept_request, name="accept_attachment_request"),
    path("demandes/<int:pk>/refuser/", views.refuse_request, name="refuse_attachment_request"),
    path("<int:pk>/gestionnaire-principal/", views.hand_over, name="hand_over_main_manager"),
]
