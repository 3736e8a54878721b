from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from billing.api.views import StripeWebhookView
from channels_app.api.views import OAuthCallbackView
from core.views import HealthView

urlpatterns = [
    path("health", HealthView.as_view(), name="health"),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("auth/", include("accounts.api.urls")),
    path("api/v1/", include("channels_app.api.urls")),
    path("api/v1/", include("uploads.api.urls")),
    path("api/v1/", include("webhooks.api.urls")),
    path("api/v1/", include("billing.api.urls")),
    path("api/v1/", include("metrics.api.urls")),
    path("webhook/stripe", StripeWebhookView.as_view(), name="stripe-webhook"),
    path("api/v1/", include("podcasts.api.urls")),
    path("feeds/", include("podcasts.api.feed_urls")),
    path("oauth2/callback/<str:platform>", OAuthCallbackView.as_view(), name="oauth-callback"),
    path("admin/", admin.site.urls),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
