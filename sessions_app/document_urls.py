"""PDF downloads (programme, session agenda) and their preparation status pages.

The ``.pdf`` URLs answer GET (the current PDF, or a redirect to its status page) and
POST (retry); the status page of a document is addressed by its id.
"""

from django.urls import path

from sessions_app import document_views

app_name = "documents"
urlpatterns = [
    path("<slug:forum_slug>/programme.pdf", document_views.ProgrammePdfView.as_view(), name="programme-pdf"),
    path(
        "<slug:forum_slug>/sessions/<slug:session_slug>/agenda.pdf",
        document_views.SessionAgendaPdfView.as_view(),
        name="session-agenda-pdf",
    ),
    path(
        "<slug:forum_slug>/documents/<int:pk>/",
        document_views.DocumentStatusView.as_view(),
        name="document-status",
    ),
]
