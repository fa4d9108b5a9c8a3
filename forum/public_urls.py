"""Public pages of the event core: forums, speakers, organizations."""

app_name = "forum"
urlpatterns: list = []
