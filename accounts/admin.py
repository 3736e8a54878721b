import math
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, SetUnusablePasswordMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, ForeignKey, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from rest_framework.exceptions import Throttled

from accounts.models import PasswordResetToken, RefreshTokenRecord, User, UserManager
from billing.models import PlanUsage
from billing.selectors import plan_default
from billing.services import month_start
from core.admin_base import GatewayModelAdmin, OwnerColumnMixin, ReadOnlyAdminMixin
from core.throttles import LoginFailureGuard


class _EmailFormMixin(forms.ModelForm):
    """Emails are stored lower-cased and unique in any case."""

    def clean_email(self) -> str:
        email = UserManager.normalize_email(self.cleaned_data.get("email"))
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                "An account with this email already exists.", code="email_taken"
            )
        return email


class UserAddForm(_EmailFormMixin, SetUnusablePasswordMixin, BaseUserCreationForm):
    """Email plus password twice, or no password (the user then uses forgot-password)."""

    usable_password = SetUnusablePasswordMixin.create_usable_password_field()

    class Meta:
        model = User
        fields = ("email",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].required = False
        self.fields["password2"].required = False


class UserChangeForm(_EmailFormMixin):
    """No password field at all: the hash, even masked, never reaches the page."""

    class Meta:
        model = User
        fields = (
            "email",
            "name",
            "plan",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        )


def _count_of(relation: str) -> Coalesce:
    """The user's rows of a reverse relation another app declares on the user (``channels``,
    ``jobs``), counted in a subquery: two joined COUNTs would multiply each other, and going
    through the relation keeps accounts from importing the apps that depend on it."""
    # The reverse relation's remote field is the other model's ForeignKey to the user.
    fk = cast("ForeignKey", User._meta.get_field(relation).remote_field)
    rows = (
        fk.model._default_manager.filter(**{fk.name: OuterRef("pk")})
        .order_by()
        .values(fk.name)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


@admin.register(User)
class UserAdmin(BaseUserAdmin, GatewayModelAdmin):
    form = UserChangeForm
    add_form = UserAddForm
    ordering = ("-created_at",)
    list_display = (
        "email",
        "name",
        "plan",
        "uploads_this_month",
        "channel_count",
        "job_count",
        "last_login",
        "is_active",
        "is_staff",
        "created_at",
    )
    # The active toggle: unticking it refuses the user's next request (API and sockets).
    list_editable = ("is_active",)
    list_filter = ("plan", "is_staff", "is_superuser", "is_active")
    list_select_related = ("plan",)
    date_hierarchy = "created_at"
    search_fields = ("email", "name")
    readonly_fields = ("created_at", "last_login", "password_status")
    fieldsets = (
        (None, {"fields": ("email",)}),
        ("Profile", {"fields": ("name", "plan")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "created_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        usage = PlanUsage.objects.filter(user=OuterRef("pk"), period_start=month_start())
        return (
            super()
            .get_queryset(request)
            .annotate(
                usage_this_month=Coalesce(Subquery(usage.values("uploads")[:1]), Value(0)),
                channel_total=_count_of("channels"),
                job_total=_count_of("jobs"),
            )
        )

    @admin.display(description="Uploads this month", ordering="usage_this_month")
    def uploads_this_month(self, user: User) -> int:
        return user.usage_this_month  # type: ignore[attr-defined]

    @admin.display(description="Channels", ordering="channel_total")
    def channel_count(self, user: User) -> int:
        return user.channel_total  # type: ignore[attr-defined]

    @admin.display(description="Jobs", ordering="job_total")
    def job_count(self, user: User) -> int:
        return user.job_total  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: User, form: forms.Form, change: bool) -> None:
        if not change and obj.plan_id is None:
            obj.plan = plan_default()  # like signup: new users start on the free plan
        super().save_model(request, obj, form, change)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None):  # type: ignore[no-untyped-def]
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.has_change_permission(request, obj):
            return fieldsets
        # Operators who may change the user get the "set password" page, and only that.
        return (*fieldsets, ("Password", {"fields": ("password_status",)}))

    @admin.display(description="Password")
    def password_status(self, obj: User) -> str:
        state = "set" if obj.has_usable_password() else "not set (forgot-password flow)"
        url = reverse("admin:auth_user_password_change", args=[obj.pk])
        return format_html('{} &middot; <a href="{}">Set a new password</a>', state, url)


@admin.register(PasswordResetToken)
class PasswordResetTokenAdmin(OwnerColumnMixin, ReadOnlyAdminMixin, GatewayModelAdmin):
    """Reset links, for support ("did the email go out?"). Not even the token's hash is shown."""

    list_display = ("owner", "created_at", "expires_at", "used_at")
    list_filter = (("used_at", admin.EmptyFieldListFilter),)
    date_hierarchy = "created_at"
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("id", "owner", "created_at", "expires_at", "used_at")
    readonly_fields = fields


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The admin's login counts failures against the same limits as ``POST /auth/login``."""

    def clean(self) -> dict[str, Any]:
        if self.request is None:  # the admin always passes its request
            return super().clean()
        email = UserManager.normalize_email(self.data.get("username"))
        try:
            with LoginFailureGuard(email=email, request=self.request, failure=ValidationError):
                return super().clean()
        except Throttled as exc:
            minutes = math.ceil((getattr(exc, "wait", None) or 60) / 60)
            raise ValidationError(
                f"Too many failed logins. Try again in {minutes} minutes.", code="throttled"
            ) from exc


admin.site.login_form = ThrottledAdminLoginForm


@admin.register(RefreshTokenRecord)
class RefreshTokenRecordAdmin(OwnerColumnMixin, ReadOnlyAdminMixin, GatewayModelAdmin):
    """Logins and their refresh tokens, read-only. Only ``jti``s are stored, never a token."""

    list_display = ("owner", "family", "created_at", "expires_at", "rotated_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    date_hierarchy = "created_at"
    search_fields = ("user__email", "=family", "=jti")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in RefreshTokenRecord._meta.fields]
