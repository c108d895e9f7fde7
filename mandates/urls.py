from django.urls import path

from . import signing, views

app_name = "mandates"

urlpatterns = [
    path("souscrire/", views.subscribe, name="subscribe"),
    path("signer/<str:token>/", signing.sign, name="sign"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/renvoyer/", views.resend, name="resend"),
    path("<int:pk>/pdf/", views.pdf, name="pdf"),
]
