"""PDF downloads (programme, session agenda) and their preparation status pages."""

app_name = "documents"
urlpatterns: list = []
