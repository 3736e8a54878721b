from rest_framework import serializers

from accounts.models import User, UserManager
from billing.plans import FREE


class UserSerializer(serializers.ModelSerializer):
    plan = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ("id", "email", "name", "plan", "is_staff", "created_at")
        read_only_fields = fields

    def get_plan(self, user: User) -> str:
        return user.plan.code if user.plan is not None else FREE


class UserEnvelopeSerializer(serializers.Serializer):
    user = UserSerializer()


class SessionSerializer(serializers.Serializer):
    user = UserSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class SignupInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    # Strength is checked by the service with Django's validators (400 on "password").
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class LoginInputSerializer(serializers.Serializer):
    # Not an EmailField: a malformed email is just wrong credentials, like an unknown one.
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)

    def validate_email(self, value: str) -> str:
        """Normalised here so the per-account limit counts every spelling as one account."""
        return UserManager.normalize_email(value)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class ForgotPasswordInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class ResetPasswordInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=256)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class EmptySerializer(serializers.Serializer):
    """``{}``"""
