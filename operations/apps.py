from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What operators look at across apps: the stats page and ``GET /api/v1/admin/stats``.

    It sits on top of the feature apps (it reads users, plans, channels and jobs) and nothing
    imports it, so it adds no dependency between them.
    """

    name = "operations"
