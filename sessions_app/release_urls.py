"""Programme releases: the changelog page and its Atom feed."""

from django.urls import path

from sessions_app import release_views

app_name = "releases"
urlpatterns = [
    path("<slug:forum_slug>/changelog/", release_views.ChangelogView.as_view(), name="changelog"),
    path("<slug:forum_slug>/changelog.atom", release_views.ChangelogFeed(), name="feed"),
]
