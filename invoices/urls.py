from django.urls import path

from . import views

urlpatterns = [
    path("", views.invoice_list, name="invoice_list"),
    path("deposer/", views.deposit, name="invoice_deposit"),
    path("deposer/fichier/<str:token>/", views.deposit_file, name="invoice_deposit_file"),
    path("deposer/saisir/", views.enter, name="invoice_enter"),
    path("<int:pk>/", views.detail, name="invoice_detail"),
    path("<int:pk>/accuse-de-reception/", views.acknowledgement, name="invoice_acknowledgement"),
    path("<int:pk>/fichier/", views.download, name="invoice_download"),
    path("<int:pk>/completer/", views.complete, name="invoice_complete"),
    path("<int:pk>/pieces/<int:document_pk>/", views.document, name="invoice_document"),
]
