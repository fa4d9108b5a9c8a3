"""Root URL configuration: admin, accounts, the public site, PDF documents and the rapporteur workspace.

Every page but the admin and the language switch (``i18n/setlang/``) lives under a
language prefix (``/en/``, ``/es/``): the prefix picks the interface and content
language, and ``LocaleMiddleware`` sends a path without one (``/forums/…``) to the
visitor's language (cookie, then ``Accept-Language``, then English).

Nothing is served from ``MEDIA_ROOT`` directly, not even with ``DEBUG``: its only files
are generated PDFs, which the document views serve after checking that their forum is
published (``sessions_app.document_urls``).
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("", include("forum.public_urls")),
    path("forums/", include("sessions_app.urls")),
    path("forums/", include("sessions_app.document_urls")),
    path("forums/", include("registration.urls")),
    path("", include("sessions_app.calendar_urls")),
    path("forums/", include("sessions_app.schedule_urls")),
    path("forums/", include("sessions_app.release_urls")),
    path("rapporteur/", include("sessions_app.workspace_urls")),
)
