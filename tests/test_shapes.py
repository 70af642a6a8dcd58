"""One shape per object across both APIs (README "Conventions for clients"): category, DELETE answers, and the
rule for an invalid token on endpoints open to anonymous callers."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from tests.clients import register
from tests.engagement_fixtures import make_practitioner, make_service, make_stream, make_user
from workers import runtime
from write_api.accounts.models import User

pytestmark = pytest.mark.django_db


def test_category_is_the_same_object_on_both_apis_and_either_shape_is_accepted(write_api, read_api, practitioner):
    made = write_api.post("/api/v1/services/", {"title": "Calm", "service_type": "session", "price_cents": 900,
                                                "category": "mind"}, format="json")
    assert made.status_code == 201, made.content
    written = made.json()["data"]["category"]
    assert written == {"slug": "mind", "name": "Mind & mental health"}
    runtime.drain_all()
    assert read_api.get(f"/api/v1/services/{made.json()['data']['id']}/").json()["data"]["category"] == written
    card = read_api.get("/api/v1/search/", {"q": "calm"}).json()["data"][0]
    assert card["category"] == written
    # What was read can be sent back.
    patched = write_api.patch(f"/api/v1/services/{made.json()['data']['id']}/",
                              {"category": {"slug": "movement", "name": "Movement & fitness"}}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["data"]["category"] == {"slug": "movement", "name": "Movement & fitness"}
    bad = write_api.patch(f"/api/v1/services/{made.json()['data']['id']}/", {"category": {"name": "x"}},
                          format="json")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["category"]


def envelope(response) -> dict:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "success" and set(body) == {"status", "data", "message", "errors", "meta"}
    return body["data"]


def test_every_delete_answers_200_with_the_envelope(write_api, practitioner):
    block = write_api.post("/api/v1/practitioner/schedule/block/", {"start_at": "2030-01-01T09:00:00Z",
                                                                     "end_at": "2030-01-01T10:00:00Z"}, format="json")
    assert block.status_code == 201, block.content
    block_id = block.json()["data"]["id"]
    assert envelope(write_api.delete(f"/api/v1/practitioner/schedule/blocks/{block_id}/")) == {
        "id": block_id, "deleted": True}

    owner = make_practitioner()
    service = make_service(owner)
    client = make_user()
    favorite = {"type": "service", "id": str(service.id)}
    assert client.write.post("/api/v1/favorites/", favorite, format="json").status_code == 201
    for _ in range(2):  # removing twice is not an error, and answers alike
        assert envelope(client.write.delete(f"/api/v1/favorites/service/{service.id}/")) == {**favorite,
                                                                                             "deleted": True}
    stream = make_stream(owner)
    liked = client.write.post(f"/api/v1/streams/{stream['id']}/like/")
    assert liked.status_code == 200, liked.content
    assert envelope(client.write.delete(f"/api/v1/streams/{stream['id']}/like/")) == {"liked": False,
                                                                                       "like_count": 0}
    archived = envelope(owner.write.delete(f"/api/v1/streams/{stream['id']}/"))  # it lives on, archived
    assert archived["id"] == stream["id"]
    archived_service = envelope(owner.write.delete(f"/api/v1/services/{service.id}/"))
    assert (archived_service["id"], archived_service["status"]) == (str(service.id), "archived")


# --- the invalid-token rule ------------------------------------------------------------------------------
def expired_token(user_id: str) -> str:
    token = AccessToken.for_user(User.objects.get(id=user_id))
    token.set_exp(lifetime=-timedelta(minutes=1))
    return str(token)


@pytest.mark.parametrize("token", ["expired", "garbage"])
def test_an_invalid_token_is_401_even_where_anonymous_callers_are_welcome(write_api, read_api, token):
    user = register(write_api)
    header = f"Bearer {expired_token(user['user']['id']) if token == 'expired' else 'not-a-jwt'}"
    public = [(read_api, "/api/v1/search/?q=yoga"), (read_api, "/api/v1/services/"),
              (read_api, "/api/v1/search/suggestions/?q=yo"), (read_api, "/api/v1/streams/"),
              (write_api, f"/api/v1/practitioners/{uuid.uuid4()}/")]
    for client, path in public:
        assert client.get(path).status_code in (200, 404, 503), path  # anonymous: welcome
        refused = client.get(path, HTTP_AUTHORIZATION=header)
        assert refused.status_code == 401, (path, refused.content)
        assert refused.json()["code"] == "not_authenticated"
        assert refused["WWW-Authenticate"].startswith("Bearer")


def test_the_endpoints_that_issue_tokens_ignore_a_stale_one(write_api):
    user = register(write_api, email="ada@example.com")
    write_api.credentials(HTTP_AUTHORIZATION=f"Bearer {expired_token(user['user']['id'])}")
    login = write_api.post("/api/v1/auth/login/", {"email": "ada@example.com", "password": "a-strong-password-1"},
                           format="json")
    assert login.status_code == 200, login.content
    refreshed = write_api.post("/api/v1/auth/token/refresh/", {"refresh": user["tokens"]["refresh"]}, format="json")
    assert refreshed.status_code == 200, refreshed.content
    again = write_api.post("/api/v1/auth/register/", {"email": "bob@example.com", "password": "a-strong-password-1"},
                           format="json")
    assert again.status_code == 202, again.content
