"""The benchmark of the forum site: ``python -m bench`` (see ``bench/__main__.py``) builds a
synthetic forum on PostgreSQL, serves it with gunicorn and measures it over HTTP."""
