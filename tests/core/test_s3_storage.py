"""Supplier files on an S3-compatible object store (PRIVATE_STORAGE_URL; core/storage_url.py,
core/s3.py), against moto's S3 in memory: private objects, downloads through the app only."""

import json
from datetime import timedelta

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse
from moto import mock_aws

from core.storage import private_storage, purge_wizard_files, wizard_file_storage
from core.storage_url import StorageUrlError, private_storage_from_url
from tests.banking.factories import BankAccountFactory
from tests.structures.factories import MembershipFactory

BUCKET = "grenoble-fournisseurs"


@pytest.fixture
def s3(settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-3")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
        private = private_storage_from_url(f"s3://{BUCKET}/prive?region_name=eu-west-3")
        settings.STORAGES = {**settings.STORAGES, "default": private, "private": private}
        yield client


def test_it_reads_the_bucket_the_prefix_and_the_options_from_the_url():
    assert private_storage_from_url(
        "s3://fournisseurs/grenoble/prive?endpoint_url=https://s3.fr-par.scw.cloud&region_name=fr-par"
    ) == {
        "BACKEND": "core.s3.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": "fournisseurs",
            "location": "grenoble/prive",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "endpoint_url": "https://s3.fr-par.scw.cloud",
            "region_name": "fr-par",
        },
    }


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("s3://KEY:SECRET@fournisseurs/prive", "AWS_ACCESS_KEY_ID"),
        ("https://fournisseurs.s3.example/prive", "s3://bucket"),
        ("s3://fournisseurs?default_acl=public-read", r"unknown option\(s\) default_acl"),
    ],
)
def test_it_refuses_a_url_with_credentials_another_scheme_or_an_acl(url, says):
    with pytest.raises(StorageUrlError, match=says):
        private_storage_from_url(url)


def test_it_keeps_a_file_private_and_gives_no_url_to_it(s3):
    name = private_storage.save("rib/claire.pdf", ContentFile(b"%PDF-1.7 rib"))
    key = f"prive/{name}"
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"%PDF-1.7 rib"
    grants = s3.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner's only
    assert "URI" not in json.dumps(grants, default=str)  # no AllUsers / AuthenticatedUsers group
    assert private_storage.url(name) == name  # never a presigned link
    assert private_storage.save("rib/claire.pdf", ContentFile(b"other")) != name  # never overwrites


@pytest.mark.django_db
def test_it_serves_a_rib_from_the_object_store_through_the_apps_view_only(s3, client):
    account = BankAccountFactory()
    assert account.rib_file.storage.__class__.__name__ == "PrivateS3Storage"
    url = reverse("banking:rib", args=[account.pk])
    assert client.get(url).status_code in (302, 404)  # anonymous: the login page, never the file
    client.force_login(MembershipFactory(structure=account.structure).user)
    stranger = client.get(reverse("banking:rib", args=[BankAccountFactory().pk]))
    assert stranger.status_code == 404  # another structure's RIB: as if it did not exist
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment")


def test_it_keeps_the_wizards_files_in_the_object_store_and_purges_them(s3):
    name = wizard_file_storage.save("factures/abc.pdf", ContentFile(b"%PDF-1.7 waiting"))
    assert s3.get_object(Bucket=BUCKET, Key=f"prive/wizard/{name}")["Body"].read() == b"%PDF-1.7 waiting"
    assert wizard_file_storage.open(name).read() == b"%PDF-1.7 waiting"
    assert purge_wizard_files(hours=1) == 0  # too recent
    assert purge_wizard_files(hours=-1) == 1  # "older than an hour from now": all of them
    assert not wizard_file_storage.exists(name)
    assert purge_wizard_files(hours=-1) == 0  # a second run (another machine) finds nothing


@pytest.mark.django_db
def test_its_health_follows_the_object_store(s3, client):
    storages["private"].save("x.txt", ContentFile(b"x"))
    assert client.get("/sante/").status_code == 200
    s3.delete_object(Bucket=BUCKET, Key="prive/x.txt")
    s3.delete_bucket(Bucket=BUCKET)
    response = client.get("/sante/")
    assert response.status_code == 503
    assert json.loads(response.content)["storage"] == "échec"


def test_a_purge_keeps_recent_files_on_disk_too(private_media):
    name = wizard_file_storage.save("recent.pdf", ContentFile(b"%PDF"))
    assert purge_wizard_files(hours=24) == 0
    assert purge_wizard_files(hours=-timedelta(minutes=1).total_seconds() / 3600) == 1
    assert not wizard_file_storage.exists(name)
