"""iCalendar feeds: the programme, one session, a participant's personal feed."""

from django.urls import path

from sessions_app import calendar_views

app_name = "calendars"
urlpatterns = [
    path(
        "forums/<slug:forum_slug>/programme.ics", calendar_views.ProgrammeCalendarView.as_view(), name="programme-ics"
    ),
    path(
        "forums/<slug:forum_slug>/sessions/<slug:session_slug>/calendar.ics",
        calendar_views.SessionCalendarView.as_view(),
        name="session-ics",
    ),
    path("calendar/<str:token>.ics", calendar_views.PersonalCalendarView.as_view(), name="personal-ics"),
    path(
        "forums/<slug:forum_slug>/registration/calendar/new-link/",
        calendar_views.NewPersonalCalendarLinkView.as_view(),
        name="personal-reset",
    ),
]
