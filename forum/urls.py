"""Root URL configuration: admin, accounts, the public site, PDF documents and the rapporteur workspace.

Nothing is served from ``MEDIA_ROOT`` directly, not even with ``DEBUG``: its only files
are generated PDFs, which the document views serve after checking that their forum is
published (``sessions_app.document_urls``).
"""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("forum.public_urls")),
    path("forums/", include("sessions_app.urls")),
    path("forums/", include("sessions_app.document_urls")),
    path("forums/", include("registration.urls")),
    path("", include("sessions_app.calendar_urls")),
    path("forums/", include("sessions_app.schedule_urls")),
    path("forums/", include("sessions_app.release_urls")),
    path("rapporteur/", include("sessions_app.workspace_urls")),
]
