"""Root URL configuration: admin, accounts, the public site, PDF documents and the rapporteur workspace.

Every page but the admin, the health check (``healthz``) and the language switch
(``i18n/setlang/``) lives under a
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
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from forum import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    # The language switch is on every page. Without a CSRF token in its forms, public pages
    # are the same for every anonymous visitor and can be cached whole (forum.caching);
    # a forged switch could only change a visitor's language cookie, and ``next`` is
    # still checked against the site's host.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
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
