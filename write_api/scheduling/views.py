from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.pagination import PageQuery, PageRequest, pagination_meta
from api_conventions.responses import created, deleted, ok
from api_conventions.serializers import AwareDateTimeField, CalendarDateField, StrictInput
from api_conventions.shared_payloads import Deleted
from write_api.accounts.views import validate_zone
from write_api.permissions import IsPractitioner
from write_api.scheduling import services
from write_api.scheduling.models import DateOverride, ScheduleBlock, WeeklyWindow
from write_api.scheduling.payloads import BlockPayload, SchedulePayload


class WindowInput(StrictInput):
    weekday = serializers.IntegerField(min_value=0, max_value=6)
    start_minute = serializers.IntegerField(min_value=0, max_value=1439)
    end_minute = serializers.IntegerField(min_value=1, max_value=1440)

    def validate(self, attrs):
        if attrs["end_minute"] <= attrs["start_minute"]:
            raise serializers.ValidationError({"end_minute": ["Must be after start_minute."]})
        return attrs


def schedule_out(practitioner) -> SchedulePayload:
    windows = WeeklyWindow.objects.filter(practitioner=practitioner)
    overrides = DateOverride.objects.filter(practitioner=practitioner).order_by("date")
    return {"timezone": practitioner.timezone, "buffer_minutes": practitioner.buffer_minutes,
            "min_notice_minutes": practitioner.min_notice_minutes,
            "max_advance_days": practitioner.max_advance_days,
            "windows": [{"weekday": w.weekday, "start_minute": w.start_minute, "end_minute": w.end_minute}
                        for w in windows],
            "overrides": [{"date": o.date.isoformat(), "windows": o.windows} for o in overrides]}


def block_out(b: ScheduleBlock) -> BlockPayload:
    return {"id": str(b.id), "start_at": b.start_at.isoformat(), "end_at": b.end_at.isoformat(),
            "reason": b.reason}


class ScheduleApi(APIView):
    permission_classes = [IsAuthenticated, IsPractitioner]
    payload = SchedulePayload

    class Input(StrictInput):
        timezone = serializers.CharField(max_length=64, required=False, validators=[validate_zone])
        windows = WindowInput(many=True, max_length=7 * 24)

    def get(self, request):
        return ok(schedule_out(services.own_practitioner(request.user)))

    def put(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        practitioner = services.schedule_replace(actor=request.user, **data.validated_data)
        return ok(schedule_out(practitioner), message="Schedule replaced.")


class OverrideApi(APIView):
    """Set (or with ``windows: null`` remove) one day's windows; answers the whole schedule."""

    permission_classes = [IsAuthenticated, IsPractitioner]
    payload = SchedulePayload
    success_status = 200

    class Input(StrictInput):
        date = CalendarDateField()
        windows = serializers.ListField(
            child=serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=1440),
                                        min_length=2, max_length=2),
            max_length=24, allow_null=True, help_text="[[start_minute, end_minute], …]; [] = day off; null removes")

        def validate_windows(self, value):
            if value is not None:
                for start, end in value:
                    if end <= start:
                        raise serializers.ValidationError("Each window must end after it starts.")
            return value

    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        windows = data.validated_data["windows"]
        services.override_set(actor=request.user, day=data.validated_data["date"],
                              windows=None if windows is None else [tuple(w) for w in windows])
        return ok(schedule_out(services.own_practitioner(request.user)), message="Override saved.")


class BlockCreateApi(APIView):
    permission_classes = [IsAuthenticated, IsPractitioner]
    payload = BlockPayload

    class Input(StrictInput):
        start_at = AwareDateTimeField()
        end_at = AwareDateTimeField()
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True)

        def validate(self, attrs):
            if attrs["end_at"] <= attrs["start_at"]:
                raise serializers.ValidationError({"end_at": ["Must be after start_at."]})
            return attrs

    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        return created(block_out(services.block_add(actor=request.user, **data.validated_data)))


class BlockListApi(APIView):
    permission_classes = [IsAuthenticated, IsPractitioner]
    payload = list[BlockPayload]
    query_serializer = PageQuery

    def get(self, request):
        page = PageRequest.from_query(request.query_params)
        blocks = ScheduleBlock.objects.filter(practitioner=services.own_practitioner(request.user))
        count = blocks.count()
        items = [block_out(b) for b in blocks[page.offset:page.offset + page.page_size]]
        return ok(items, meta={"pagination": pagination_meta(request, page, count), "filters_applied": {}})


class BlockDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsPractitioner]
    payload = Deleted

    def delete(self, request, block_id):
        services.block_remove(actor=request.user, block_id=block_id)
        return deleted(block_id, message="Block removed.")
