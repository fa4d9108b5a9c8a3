"""Settings of ``python -m bench``: the project's own (``forum.settings``, read from the same
environment, where the benchmark sets ``DJANGO_STATIC_ROOT`` to a temporary folder), plus
the benchmark's trivial view (``bench.urls``).

Static files are stored with Django's ``ManifestStaticFilesStorage``: the same hashed
names as production's whitenoise storage, so pages are the same, without its gzip and
Brotli copies of every file, which take a minute to write and which no measured request reads.
https://docs.djangoproject.com/en/5.2/ref/contrib/staticfiles/#manifeststaticfilesstorage
"""

from forum.settings import *  # noqa: F403
from forum.settings import STORAGES as _PROJECT_STORAGES

ROOT_URLCONF = "bench.urls"
STORAGES = _PROJECT_STORAGES | {
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
}
