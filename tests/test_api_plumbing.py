"""The wire conventions every endpoint shares: camelCase JSON and one error shape."""

import pytest

pytestmark = pytest.mark.django_db


def test_unknown_path_is_a_json_404_in_the_error_shape(client):
    response = client.get("/no/such/path")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
    }


@pytest.mark.urls("tests.support.api_views")
def test_malformed_json_body_is_a_400_parse_error(api_client):
    response = api_client.post("/echo", data='{"displayName": ', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "client_error"
    assert [error["code"] for error in body["errors"]] == ["parse_error"]


@pytest.mark.urls("tests.support.api_views")
def test_json_is_camel_case_in_and_out(api_client):
    response = api_client.post("/echo", {"displayName": "abc"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"displayName": "abc"}


@pytest.mark.urls("tests.support.api_views")
def test_validation_errors_name_the_field_in_camel_case(api_client):
    response = api_client.post("/echo", {"displayName": "far too long"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "max_length",
                "detail": "Ensure this field has no more than 5 characters.",
                "attr": "displayName",
            }
        ],
    }


@pytest.mark.urls("tests.support.api_views")
def test_application_errors_keep_their_status_and_code(api_client):
    conflict = api_client.post("/echo", {"displayName": "taken"}, format="json")
    invalid = api_client.post("/echo", {"displayName": "bad"}, format="json")

    assert conflict.status_code == 409
    assert conflict.json() == {
        "type": "client_error",
        "errors": [{"code": "already_connected", "detail": "That name is taken.", "attr": None}],
    }
    assert invalid.status_code == 400
    assert invalid.json()["errors"] == [
        {"code": "invalid_asset_url", "detail": "Not allowed here.", "attr": "displayName"}
    ]


@pytest.mark.urls("tests.support.api_views")
def test_missing_token_is_401_not_authenticated(api_client):
    response = api_client.get("/private")

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs")

    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    assert "/health" in schema.json()["paths"]
    assert docs.status_code == 200
