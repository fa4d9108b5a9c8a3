"""PDF downloads (programme, session agenda, session recommendations, outcome document) and
their preparation status pages.

The ``.pdf`` URLs answer GET (the current PDF, or a redirect to its status page) and
POST (retry). A status page is addressed under its subject's ``.pdf`` URL, so that once
its document is gone (superseded or replaced) it can send the visitor to the current one.
Both status patterns are named ``document-status``: ``reverse`` picks the one whose
arguments are given (with ``session_slug``, the agenda's). The recommendations' status
pattern, whose arguments are the agenda's, is named ``recommendations-status``, and the
outcome document's, whose arguments are the programme's, ``outcome-status``.
"""

from django.urls import path

from sessions_app import document_views
from sessions_app.models import GeneratedDocument

app_name = "documents"
urlpatterns = [
    path("<slug:forum_slug>/programme.pdf", document_views.SubjectPdfView.as_view(), name="programme-pdf"),
    path(
        "<slug:forum_slug>/programme.pdf/status/<int:pk>/",
        document_views.DocumentStatusView.as_view(),
        name="document-status",
    ),
    path(
        "<slug:forum_slug>/outcome.pdf",
        document_views.SubjectPdfView.as_view(kind=GeneratedDocument.Kind.OUTCOME),
        name="outcome-pdf",
    ),
    path(
        "<slug:forum_slug>/outcome.pdf/status/<int:pk>/",
        document_views.DocumentStatusView.as_view(kind=GeneratedDocument.Kind.OUTCOME),
        name="outcome-status",
    ),
    path(
        "<slug:forum_slug>/sessions/<slug:session_slug>/agenda.pdf",
        document_views.SubjectPdfView.as_view(),
        name="session-agenda-pdf",
    ),
    path(
        "<slug:forum_slug>/sessions/<slug:session_slug>/agenda.pdf/status/<int:pk>/",
        document_views.DocumentStatusView.as_view(),
        name="document-status",
    ),
    path(
        "<slug:forum_slug>/sessions/<slug:session_slug>/recommendations.pdf",
        document_views.SubjectPdfView.as_view(kind=GeneratedDocument.Kind.RECOMMENDATIONS),
        name="recommendations-pdf",
    ),
    path(
        "<slug:forum_slug>/sessions/<slug:session_slug>/recommendations.pdf/status/<int:pk>/",
        document_views.DocumentStatusView.as_view(kind=GeneratedDocument.Kind.RECOMMENDATIONS),
        name="recommendations-status",
    ),
]
