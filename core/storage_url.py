"""PRIVATE_STORAGE_URL → the "private" entry of settings.STORAGES (read by config/settings.py,
before Django is set up: no Django import here).

    s3://BUCKET[/PREFIX][?endpoint_url=https://s3.example.fr&region_name=fr-par&addressing_style=path]

The credentials are never in the URL: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (boto3 reads
them from the environment, or from the machine's role).
"""

from urllib.parse import parse_qsl, urlsplit

OPTIONS = {"endpoint_url", "region_name", "addressing_style", "signature_version"}


class StorageUrlError(ValueError):
    pass


def private_storage_from_url(url):
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname:
        raise StorageUrlError("PRIVATE_STORAGE_URL must look like s3://bucket/prefix?endpoint_url=https://…")
    if parts.username or parts.password:
        raise StorageUrlError(
            "PRIVATE_STORAGE_URL must not hold credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        )
    query = dict(parse_qsl(parts.query))
    unknown = sorted(set(query) - OPTIONS)
    if unknown:
        raise StorageUrlError(f"PRIVATE_STORAGE_URL: unknown option(s) {', '.join(unknown)} (known: {sorted(OPTIONS)})")
    return {
        "BACKEND": "core.s3.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": parts.hostname,
            "location": parts.path.strip("/"),
            "default_acl": None,  # private: the bucket owner's only
            "querystring_auth": True,  # an accidental URL would at least not be a public one
            "file_overwrite": False,  # as on disk: a new name rather than replacing a file
            **query,
        },
    }
