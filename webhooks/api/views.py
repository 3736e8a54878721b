from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import authenticated_user
from core.pagination import PageNumberPagination
from webhooks import selectors, services
from webhooks.api.serializers import (
    CreatedEndpointSerializer,
    DeliveryPageSerializer,
    DeliverySerializer,
    EndpointInputSerializer,
    EndpointSerializer,
)


class EndpointListView(APIView):
    @extend_schema(responses={200: EndpointSerializer(many=True)}, summary="The user's webhooks")
    def get(self, request: Request) -> Response:
        endpoints = selectors.endpoint_list(user=authenticated_user(request))
        return Response(EndpointSerializer(endpoints, many=True).data)

    @extend_schema(
        request=EndpointInputSerializer,
        responses={201: CreatedEndpointSerializer},
        summary="Add a webhook endpoint (its signing secret is in this answer only)",
    )
    def post(self, request: Request) -> Response:
        data = EndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.endpoint_create(owner=authenticated_user(request), **data.validated_data)
        body = {**EndpointSerializer(created.endpoint).data, "secret": created.secret}
        return Response(CreatedEndpointSerializer(body).data, status=status.HTTP_201_CREATED)


class EndpointDetailView(APIView):
    @extend_schema(responses={204: None}, summary="Delete a webhook endpoint and its log")
    def delete(self, request: Request, endpoint_id: UUID) -> Response:
        endpoint = selectors.endpoint_get(user=authenticated_user(request), endpoint_id=endpoint_id)
        services.endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("page", int), OpenApiParameter("pageSize", int)],
        responses={200: DeliveryPageSerializer},
        summary="The delivery log of a webhook endpoint, newest first",
    )
    def get(self, request: Request, endpoint_id: UUID) -> Response:
        endpoint = selectors.endpoint_get(user=authenticated_user(request), endpoint_id=endpoint_id)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            selectors.delivery_list(endpoint=endpoint), request, self
        )
        return paginator.get_paginated_response(DeliverySerializer(page, many=True).data)
