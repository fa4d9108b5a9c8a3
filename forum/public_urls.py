"""Public pages of the event core: forums, speakers, organizations."""

from django.urls import path

from forum import views

app_name = "forum"
urlpatterns = [
    path("", views.ForumListView.as_view(), name="forum-list"),
    path("forums/<slug:forum_slug>/", views.ForumHomeView.as_view(), name="forum-home"),
    path("forums/<slug:forum_slug>/speakers/", views.SpeakerListView.as_view(), name="speaker-list"),
    path(
        "forums/<slug:forum_slug>/speakers/<slug:person_slug>/",
        views.SpeakerDetailView.as_view(),
        name="speaker-detail",
    ),
    path(
        "forums/<slug:forum_slug>/speakers/<slug:person_slug>/photo",
        views.SpeakerPhotoView.as_view(),
        name="speaker-photo",
    ),
    path(
        "forums/<slug:forum_slug>/organizations/",
        views.OrganizationListView.as_view(),
        name="organization-list",
    ),
]
