from django.urls import path

from billing.api import views

urlpatterns = [
    path("billing/plans", views.PlanListView.as_view(), name="billing-plans"),
    path("billing/plan", views.CurrentPlanView.as_view(), name="billing-plan"),
    path("billing/checkout", views.CheckoutView.as_view(), name="billing-checkout"),
    path("billing/portal", views.PortalView.as_view(), name="billing-portal"),
]
