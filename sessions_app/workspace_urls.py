"""The rapporteur workspace of the public site, under ``/rapporteur/``: the signed-in user's
sessions as rapporteur and the editor of a session's recommendations document."""

from django.urls import path

from sessions_app import workspace_views

app_name = "workspace"
urlpatterns = [
    path("", workspace_views.MySessionsView.as_view(), name="my-sessions"),
    path("<slug:forum_slug>/<slug:session_slug>/", workspace_views.EditorView.as_view(), name="editor"),
]
