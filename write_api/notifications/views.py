from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.errors import NotFound
from api_conventions.pagination import PageRequest, pagination_meta
from api_conventions.responses import deleted, ok
from api_conventions.serializers import StrictInput
from api_conventions.shared_payloads import Deleted
from write_api.notifications import selectors, services
from write_api.notifications.models import Notification
from write_api.notifications.payloads import (
    NotificationPayload,
    ReadAllPayload,
    UnreadCountPayload,
)


class NotificationListApi(APIView):
    permission_classes = [IsAuthenticated]
    payload = list[NotificationPayload]

    class Filters(StrictInput):
        is_read = serializers.BooleanField(required=False, allow_null=False)
        type = serializers.ChoiceField(choices=Notification.Type.choices, required=False)
        page = serializers.CharField(required=False)
        page_size = serializers.CharField(required=False)

    query_serializer = Filters

    def get(self, request):
        filters = self.Filters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = PageRequest.from_query(request.query_params)
        applied = {k: filters.validated_data[k] for k in ("is_read", "type") if k in filters.validated_data}
        query = selectors.notifications_of(user=request.user, **applied)
        count = query.count()
        items = [selectors.notification_out(n) for n in query[page.offset:page.offset + page.page_size]]
        return ok(items, meta={"pagination": pagination_meta(request, page, count), "filters_applied": applied})


class UnreadCountApi(APIView):
    permission_classes = [IsAuthenticated]
    payload = UnreadCountPayload

    def get(self, request):
        return ok({"unread": selectors.unread_count(user=request.user)})


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]
    success_status = 200
    payload = NotificationPayload

    def post(self, request, notification_id):
        notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
        return ok(selectors.notification_out(notification), message="Marked as read.")


class NotificationUnreadApi(APIView):
    permission_classes = [IsAuthenticated]
    success_status = 200
    payload = NotificationPayload

    def post(self, request, notification_id):
        notification = services.notification_mark_unread(user=request.user, notification_id=notification_id)
        return ok(selectors.notification_out(notification), message="Marked as unread.")


class NotificationReadAllApi(APIView):
    permission_classes = [IsAuthenticated]
    success_status = 200
    payload = ReadAllPayload

    def post(self, request):
        changed = services.notifications_mark_all_read(user=request.user)
        return ok({"marked_read": changed, "unread": selectors.unread_count(user=request.user)},
                  message="All marked as read.")


class NotificationDetailApi(APIView):
    permission_classes = [IsAuthenticated]
    payload = {"get": NotificationPayload, "delete": Deleted}

    def get(self, request, notification_id):
        notification = selectors.notification_of(user=request.user, notification_id=notification_id)
        if notification is None:
            raise NotFound("Notification not found.")
        return ok(selectors.notification_out(notification))

    def delete(self, request, notification_id):
        services.notification_delete(user=request.user, notification_id=notification_id)
        return deleted(notification_id, message="Notification deleted.")
