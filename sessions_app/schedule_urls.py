"""frab-compatible schedule exports (schedule.xml, schedule.json), under ``forums/``."""

from django.urls import path

from sessions_app.frab import views

app_name = "schedule"
urlpatterns = [
    path("<slug:forum_slug>/schedule.xml", views.ScheduleXmlView.as_view(), name="schedule-xml"),
    path("<slug:forum_slug>/schedule.json", views.ScheduleJsonView.as_view(), name="schedule-json"),
]
