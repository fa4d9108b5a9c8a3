"""Root URL configuration: admin, accounts, the public site and PDF documents."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("forum.public_urls")),
    path("forums/", include("sessions_app.urls")),
    path("forums/", include("sessions_app.document_urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
