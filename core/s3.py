"""Supplier files on an S3-compatible object store (django-storages), when PRIVATE_STORAGE_URL
says so (core/storage_url.py reads it).

The objects stay private: no ACL is sent, so each object is the bucket's owner's alone (the
bucket must not be public: README « Fichiers des fournisseurs »). No URL to an object ever
leaves the app: a download goes through the app's view, which checks who asks
(core/files.py) and streams the bytes. `url()` gives the stored name only, as the local folder
does, never a presigned link a browser could follow.
"""

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    def url(self, name, *args, **kwargs):
        return name

    def get_object_parameters(self, name):
        parameters = super().get_object_parameters(name)
        parameters.pop("ACL", None)  # never public-read, whatever AWS_S3_OBJECT_PARAMETERS says
        return parameters
