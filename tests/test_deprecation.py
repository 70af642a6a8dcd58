"""Deprecation (docs/deprecation.md): one declaration per retired name gives ``Deprecation`` and ``Sunset``
headers, a ``meta.deprecation`` note and ``deprecated: true`` in OpenAPI, while the old name keeps working.
Every name issue 14 replaced is checked here through the real endpoints."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.clients import authenticate, register
from workers import runtime

pytestmark = pytest.mark.django_db

DEPRECATION = "@1796342400"  # 2026-12-04T00:00:00Z, release 1.1.0 (RFC 9745 structured date)
SUNSET = "Wed, 30 Jun 2027 00:00:00 GMT"  # two releases later (RFC 8594 HTTP date)


def notes(response) -> dict[str, dict]:
    assert response["Deprecation"] == DEPRECATION
    assert response["Sunset"] == SUNSET
    return {note["name"]: note for note in response.json()["meta"]["deprecation"]}


def test_a_deprecated_endpoint_says_so_on_every_answer(write_api, settings):
    settings.ROOT_URLCONF = "tests.urls_write_extra"
    found = notes(write_api.get("/test/retired/"))
    assert found == {"/test/retired/": {
        "kind": "endpoint", "name": "/test/retired/", "replacement": "`/test/echo/`", "deprecated_in": "1.1.0",
        "sunset": "2027-06-30", "message": "This endpoint is deprecated since 1.1.0 and may be removed after "
                                           "2027-06-30; use `/test/echo/` instead."}}
    failed = write_api.get("/test/retired/", {"missing": "1"})
    assert failed.status_code == 404 and set(notes(failed)) == {"/test/retired/"}


def test_a_deprecated_parameter_is_noted_only_when_sent(write_api, settings):
    settings.ROOT_URLCONF = "tests.urls_write_extra"
    response = write_api.get("/test/retired/", {"legacy": "x"})
    assert response.json()["data"] == {"legacy": "x"}  # still works
    assert set(notes(response)) == {"/test/retired/", "legacy"}
    assert set(notes(write_api.get("/test/retired/"))) == {"/test/retired/"}


def test_answers_without_deprecated_names_carry_no_note(write_api):
    response = write_api.post("/api/v1/auth/register/", {"email": "new@example.com", "password": "a-strong-pass-1"},
                              format="json")
    assert response.status_code == 202
    assert "Deprecation" not in response and "Sunset" not in response
    assert "deprecation" not in response.json()["meta"]


def test_login_and_refresh_answer_tokens_in_data_tokens_and_keep_the_old_places(write_api):
    registered = register(write_api, email="ada@example.com")
    login = write_api.post("/api/v1/auth/login/", {"email": "ada@example.com", "password": "a-strong-password-1"},
                           format="json")
    data = login.json()["data"]
    assert set(data) == {"user", "tokens", "access", "refresh"}
    assert data["user"] == registered["user"]
    assert (data["access"], data["refresh"]) == (data["tokens"]["access"], data["tokens"]["refresh"])
    assert set(notes(login)) == {"access", "refresh"}
    refreshed = write_api.post("/api/v1/auth/token/refresh/", {"refresh": data["tokens"]["refresh"]}, format="json")
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json()["data"]["tokens"]["access"] == refreshed.json()["data"]["access"]
    assert set(notes(refreshed)) == {"access", "refresh"}


def test_practitioner_location_is_one_object_and_the_flat_coordinates_still_work(write_api, read_api, practitioner):
    pid = practitioner["practitioner"]["id"]
    moved = write_api.patch(f"/api/v1/practitioners/{pid}/", {"online_only": False,
                                                              "location": {"lat": 51.5, "lon": -0.12}}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["data"]["location"] == {"lat": 51.5, "lon": -0.12}
    assert set(notes(moved)) == {"latitude", "longitude"}  # only the answer's deprecated fields
    assert notes(moved)["latitude"]["kind"] == "field"
    old = write_api.patch(f"/api/v1/practitioners/{pid}/", {"latitude": 48.85, "longitude": 2.35}, format="json")
    assert old.status_code == 200, old.content
    assert old.json()["data"]["location"] == {"lat": 48.85, "lon": 2.35}
    assert {n["kind"] for n in old.json()["meta"]["deprecation"]} == {"field", "parameter"}
    both = write_api.patch(f"/api/v1/practitioners/{pid}/", {"latitude": 1, "location": {"lat": 1, "lon": 1}},
                           format="json")
    assert both.status_code == 400 and list(both.json()["errors"]) == ["location"]
    bad = write_api.patch(f"/api/v1/practitioners/{pid}/", {"location": {"lat": 91, "lon": 0}}, format="json")
    assert bad.status_code == 400 and "location" in bad.json()["errors"]

    service = write_api.post("/api/v1/services/", {"title": "Breath", "service_type": "session",
                                                   "price_cents": 1000}, format="json").json()["data"]
    runtime.drain_all()
    detail = read_api.get(f"/api/v1/services/{service['id']}/")
    brief = detail.json()["data"]["practitioner"]
    assert brief["location"] == {"lat": 48.85, "lon": 2.35}
    assert (brief["latitude"], brief["longitude"]) == (48.85, 2.35)
    assert {"practitioner.latitude", "practitioner.longitude"} <= set(notes(detail))


def test_service_detail_has_the_plans_names_and_keeps_the_old_ones(write_api, read_api, practitioner):
    def create(**body):
        made = write_api.post("/api/v1/services/", {"service_type": "session", "price_cents": 1000, **body},
                              format="json")
        assert made.status_code == 201, made.content
        return made.json()["data"]

    single = create(title="Yin yoga", format="in-person")
    assert single["format"] == "in_person"
    other = create(title="Breathwork")
    package = create(title="Starter package", service_type="package", price_cents=2500,
                     children=[{"service_id": single["id"], "quantity": 2}, {"service_id": other["id"], "quantity": 1}])
    bundle = create(title="Ten classes", service_type="bundle", price_cents=9000,
                    children=[{"service_id": single["id"], "quantity": 10}])
    runtime.drain_all()

    response = read_api.get(f"/api/v1/services/{single['id']}/")
    data = response.json()["data"]
    assert data["packages"] == [{"id": package["id"], "title": "Starter package", "service_type": "package",
                                 "price_cents": 2500, "price": "25.00", "quantity": 2}]
    assert data["bundles"] == [{"id": bundle["id"], "title": "Ten classes", "service_type": "bundle",
                                "price_cents": 9000, "price": "90.00", "quantity": 10}]
    assert data["reviews_summary"] == {"average": None, "count": 0,
                                       "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}
    assert data["upcoming_sessions"] == []
    assert data["reviews"] == data["reviews_summary"]
    assert sorted(i["id"] for i in data["included_in"]) == sorted([package["id"], bundle["id"]])
    assert {"reviews", "included_in", "children"} <= set(notes(response))
    assert notes(response)["reviews"]["replacement"] == "`reviews_summary`"

    contents = read_api.get(f"/api/v1/services/{package['id']}/").json()["data"]
    assert {"id": single["id"], "title": "Yin yoga", "service_type": "session", "price_cents": 1000,
            "price": "10.00", "quantity": 2} in contents["includes"]
    assert [(i["id"], i["quantity"]) for i in contents["includes"]] == [
        (c["service_id"], c["quantity"]) for c in contents["children"]]

    browse = read_api.get("/api/v1/services/", {"format": "in-person"})
    assert browse.status_code == 200, browse.content
    assert [s["id"] for s in browse.json()["data"]] == [single["id"]]
    assert browse.json()["meta"]["filters_applied"]["format"] == "in_person"
    assert read_api.get("/api/v1/search/", {"q": "yin", "format": "in-person"}).json()["data"][0]["id"] == (
        single["id"])


def schema(client: APIClient) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def test_openapi_marks_every_deprecation(write_api, read_api):
    write = schema(write_api)
    components = write["components"]["schemas"]
    login_data = write["paths"]["/api/v1/auth/login/"]["post"]["responses"]["200"]["content"]["application/json"]
    assert login_data["schema"]["properties"]["data"] == {"$ref": "#/components/schemas/LoginOut"}
    assert components["LoginOut"]["properties"]["access"]["deprecated"] is True
    assert components["LoginOut"]["properties"]["refresh"]["deprecated"] is True
    assert "deprecated" not in components["LoginOut"]["properties"]["tokens"]
    body = write["paths"]["/api/v1/practitioners/{practitioner_id}/"]["patch"]["requestBody"]
    body_name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert components[body_name]["properties"]["latitude"]["deprecated"] is True
    assert "deprecated" not in components[body_name]["properties"]["location"]

    read = schema(read_api)
    detail = read["paths"]["/api/v1/services/{service_id}/"]["get"]["responses"]["200"]["content"]
    data = detail["application/json"]["schema"]["properties"]["data"]
    if "$ref" in data:
        data = read["components"]["schemas"][data["$ref"].rsplit("/", 1)[-1]]
    for name in ("reviews", "included_in", "children"):
        assert data["properties"][name]["deprecated"] is True
    # The plan's spelling of a format is documented as accepted.
    browse = {p["name"]: p for p in read["paths"]["/api/v1/services/"]["get"]["parameters"]}
    format_schema = browse["format"]["schema"]
    if "$ref" in format_schema:
        format_schema = read["components"]["schemas"][format_schema["$ref"].rsplit("/", 1)[-1]]
    assert {"in_person", "in-person"} <= set(format_schema["enum"])


def test_the_schema_marks_a_deprecated_endpoint_and_parameter(write_api, settings):
    settings.ROOT_URLCONF = "tests.urls_write_extra"
    operation = schema(write_api)["paths"]["/test/retired/"]["get"]
    assert operation["deprecated"] is True
    assert [p["deprecated"] for p in operation["parameters"] if p["name"] == "legacy"] == [True]


def test_me_patch_takes_back_its_own_get_body(write_api):
    user = register(write_api)
    authenticate(write_api, user["tokens"])
    me = write_api.get("/api/v1/auth/me/").json()["data"]
    response = write_api.patch("/api/v1/auth/me/", {**me, "first_name": "Ada"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {**me, "first_name": "Ada"}
    changed = write_api.patch("/api/v1/auth/me/", {**me, "email": "other@example.com", "is_staff": True},
                              format="json")
    assert changed.status_code == 400
    assert changed.json()["errors"] == {"email": ["Read-only: it cannot be changed here."],
                                        "is_staff": ["Read-only: it cannot be changed here."]}
