import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "read_models.settings")
application = get_wsgi_application()
# Import the URL configuration (views, search engines, warehouse readers) now, in each worker as it starts,
# not inside its first request.
get_resolver().resolve("/health/")
