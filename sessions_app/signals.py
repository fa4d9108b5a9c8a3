"""Signal receivers of the sessions app, connected in ``SessionsAppConfig.ready()``."""

from functools import partial

from django.db import transaction

from sessions_app.models import GeneratedDocument


def delete_document_file(sender: type[GeneratedDocument], instance: GeneratedDocument, using: str, **kwargs) -> None:
    """``post_delete`` of ``GeneratedDocument``: remove its PDF from storage once the deletion commits.

    Runs for every deletion path: ``instance.delete()``, queryset ``delete()`` and the
    cascade from a deleted ``Session`` or ``Forum`` (Django loads the rows to send the
    signal). The file goes with ``transaction.on_commit`` on database ``using``, so a
    rolled-back deletion keeps both row and file; outside a transaction it goes at once.
    A row without a file does nothing; a file already gone is ignored by the storage.
    """
    if instance.file:
        transaction.on_commit(partial(instance.file.storage.delete, instance.file.name), using=using)
