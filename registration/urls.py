"""The participant's pages of a forum: registration, session sign-up, privacy notice."""

from django.urls import path

from registration import views

app_name = "registration"
urlpatterns = [
    path("<slug:forum_slug>/register/", views.RegisterView.as_view(), name="register"),
    path("<slug:forum_slug>/registration/", views.MyRegistrationView.as_view(), name="my-registration"),
    path("<slug:forum_slug>/registration/cancel/", views.CancelRegistrationView.as_view(), name="cancel"),
    path(
        "<slug:forum_slug>/sessions/<slug:session_slug>/signup/",
        views.SessionSignupView.as_view(),
        name="session-signup",
    ),
    path(
        "<slug:forum_slug>/sessions/<slug:session_slug>/leave/",
        views.SessionLeaveView.as_view(),
        name="session-leave",
    ),
    path("<slug:forum_slug>/privacy/", views.PrivacyNoticeView.as_view(), name="privacy"),
]
