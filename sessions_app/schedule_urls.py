"""frab-compatible schedule exports (schedule.xml, schedule.json)."""

app_name = "schedule"
urlpatterns: list = []
