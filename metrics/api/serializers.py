from rest_framework import serializers


class _Platforms(serializers.Serializer):
    connected = serializers.IntegerField()
    limit = serializers.IntegerField()


class _Uploads(serializers.Serializer):
    used = serializers.IntegerField()
    quota = serializers.IntegerField(allow_null=True, help_text="Uploads a month; null: unlimited.")


class _Jobs(serializers.Serializer):
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()


class _Storage(serializers.Serializer):
    used_bytes = serializers.IntegerField()
    limit_bytes = serializers.IntegerField(allow_null=True, help_text="null: unlimited.")


class OverviewSerializer(serializers.Serializer):
    platforms = _Platforms()
    uploads = _Uploads()
    jobs = _Jobs()
    storage = _Storage()
