"""The one way a supplier's file leaves the app: a RIB, an invoice, a supporting document, a mandate.

No file is ever under a public URL. Each download view finds the row (404 when it does not
exist) and says whether the user is a member of its structure; this helper decides the rest,
the same way for every file:

- a member of the structure gets it;
- finance staff get it only with the view permission the view names AND what the admin asks of
  them: an authenticator app given at this session's login (the admin site's own check, so the
  rule cannot drift from the admin's). Staff who logged in with an e-mailed code are sent to the
  admin's login, which asks for their app, then comes back here;
- anyone else gets a 404, as if the file did not exist.

The answer is a download (`Content-Disposition: attachment` with the original name), never
sniffed, never cached.
"""

import logging

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header

logger = logging.getLogger(__name__)

PDF = "application/pdf"


def staff_may_open(request, permission):
    """Whether `request.user` opens supplier files as finance staff: None when not staff with
    `permission` (404), False when staff without the admin's second factor, True otherwise."""
    user = request.user
    if not (user.is_authenticated and user.is_staff and user.has_perm(permission)):
        return None
    return admin.site.has_permission(request)


def serve_private_file(request, source, *, filename, is_member, staff_permission, content_type=PDF):
    """`source` (a stored FieldFile, or a function that makes the bytes, called only once access is
    granted) as a download, or the refusal.

    `is_member`: the user is a member of the file's structure (the view reads it with the row,
    in the same query). `staff_permission`: what finance staff need to open it.
    """
    if not is_member:
        allowed = staff_may_open(request, staff_permission)
        if allowed is None:
            raise Http404
        if not allowed:
            return redirect_to_login(request.get_full_path(), login_url=reverse("admin:login"))
    if callable(source):
        response = HttpResponse(source(), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:
        try:
            handle = source.open("rb")
        except (FileNotFoundError, ValueError):
            logger.error("A private file is missing from storage: %s", source.name)
            raise Http404 from None
        response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    # Also set by SecurityMiddleware by default; here it must not depend on a setting.
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response
