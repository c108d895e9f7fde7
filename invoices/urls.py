from django.urls import path

from . import views

app_name = "invoices"

urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("deposer/", views.deposit, name="deposit"),
    path("deposer/fichier/<str:token>/", views.deposit_file, name="deposit_file"),
    path("deposer/saisir/", views.enter, name="enter"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/accuse-de-reception/", views.acknowledgement, name="acknowledgement"),
    path("<int:pk>/fichier/", views.download, name="download"),
    path("<int:pk>/completer/", views.complete, name="complete"),
    path("<int:pk>/pieces/<int:document_pk>/", views.document, name="document"),
]
