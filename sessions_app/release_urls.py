"""Programme releases: the changelog page and its Atom feed."""

app_name = "releases"
urlpatterns: list = []
