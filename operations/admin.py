"""The admin site's own wording; the stats page is routed in ``gateway/urls.py`` and linked
from ``templates/admin/index.html``."""

from django.contrib import admin

admin.site.site_header = "Gateway operations"
admin.site.site_title = "Gateway admin"
admin.site.index_title = "Operator panel"
