from django.urls import path

from . import views

urlpatterns = [
    path("deposer/", views.deposit, name="invoice_deposit"),
]
