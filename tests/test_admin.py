"""Staff use the admin; its changes go through the commands and append events (SPEC §3)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.engagement_fixtures import make_practitioner, make_service
from write_api.accounts.models import User
from write_api.catalogue.models import Service
from write_api.eventlog.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


def staff_client() -> Client:
    client = Client()
    client.force_login(_superuser())
    return client


def _superuser():
    return User.objects.create_superuser(email="root@example.com", password="x-long-password-1")


def test_admin_action_archives_through_the_command_and_appends_an_event():
    service = make_service(make_practitioner())
    client = staff_client()
    assert client.get("/admin/catalogue/service/").status_code == 200
    before = Event.objects.count()
    response = client.post("/admin/catalogue/service/", {"action": "archive", "_selected_action": [str(service.id)]})
    assert response.status_code == 302
    assert Service.objects.get(id=service.id).status == "archived"
    last = Event.objects.order_by("-position")[0]
    assert Event.objects.count() == before + 1 and last.type == "service.updated"
    assert last.payload["status"] == "archived"


def test_admin_cannot_edit_rows_directly():
    service = make_service(make_practitioner())
    client = staff_client()
    response = client.post(f"/admin/catalogue/service/{service.id}/change/", {"title": "Hacked"})
    assert response.status_code == 403
    assert Service.objects.get(id=service.id).title != "Hacked"
