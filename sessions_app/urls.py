"""Public pages of the programme: programme by day, session pages and the "now and next" screen."""

from django.urls import path

from sessions_app import views

app_name = "sessions_app"
urlpatterns = [
    path("<slug:forum_slug>/programme/", views.ProgrammeView.as_view(), name="programme"),
    path(
        "<slug:forum_slug>/sessions/<slug:session_slug>/",
        views.SessionDetailView.as_view(),
        name="session-detail",
    ),
    path("<slug:forum_slug>/now/", views.NowNextView.as_view(), name="now-next"),
]
