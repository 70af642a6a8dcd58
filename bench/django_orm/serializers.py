"""Model serializers of the conventional baseline (DRF ``ModelSerializer``, as the customer's plan has them)."""

from __future__ import annotations

from django.db.models import Count
from rest_framework import serializers

from write_api.catalogue.models import Service, ServiceSession
from write_api.practitioners.models import Practitioner
from write_api.reference.models import Category, Modality
from write_api.reviews.models import Review
from write_api.streams.models import Stream


class ServiceCardSerializer(serializers.ModelSerializer):
    practitioner_name = serializers.CharField(source="practitioner.display_name")
    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    rating = serializers.FloatField(read_only=True)
    distance_km = serializers.FloatField(read_only=True, default=None)
    snippet = serializers.CharField(read_only=True, default=None)

    class Meta:
        model = Service
        fields = ["id", "title", "service_type", "format", "price_cents", "duration_minutes", "category",
                  "practitioner", "practitioner_name", "rating", "distance_km", "snippet", "created_at"]


class PractitionerCardSerializer(serializers.ModelSerializer):
    snippet = serializers.CharField(read_only=True, default=None)

    class Meta:
        model = Practitioner
        fields = ["id", "display_name", "title", "timezone", "online_only", "snippet"]


class StreamCardSerializer(serializers.ModelSerializer):
    practitioner_name = serializers.CharField(source="practitioner.display_name")
    snippet = serializers.CharField(read_only=True, default=None)

    class Meta:
        model = Stream
        fields = ["id", "title", "access", "price_cents", "practitioner_name", "like_count", "snippet"]


class PractitionerBriefSerializer(serializers.ModelSerializer):
    modalities: serializers.SlugRelatedField[Modality] = serializers.SlugRelatedField(slug_field="slug", many=True,
                                                                                     read_only=True)

    class Meta:
        model = Practitioner
        fields = ["id", "display_name", "title", "timezone", "online_only", "address", "latitude", "longitude",
                  "modalities"]


class SessionSerializer(serializers.ModelSerializer):
    seats_taken = serializers.IntegerField(read_only=True)
    seats_left = serializers.SerializerMethodField()

    class Meta:
        model = ServiceSession
        fields = ["id", "start_at", "end_at", "capacity", "seats_taken", "seats_left"]

    def get_seats_left(self, session: ServiceSession) -> int:
        return max(session.capacity - session.seats_taken, 0)  # type: ignore[attr-defined]  # annotated


class ServiceDetailSerializer(serializers.ModelSerializer):
    practitioner = PractitionerBriefSerializer()
    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    modalities: serializers.SlugRelatedField[Modality] = serializers.SlugRelatedField(slug_field="slug", many=True,
                                                                                     read_only=True)
    upcoming_sessions = SessionSerializer(many=True, read_only=True)
    reviews = serializers.SerializerMethodField()
    included_in = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()

    class Meta:
        model = Service
        fields = ["id", "title", "description", "service_type", "format", "status", "price_cents",
                  "duration_minutes", "step_minutes", "capacity", "validity_days", "category", "modalities",
                  "children", "practitioner", "upcoming_sessions", "reviews", "included_in", "created_at"]

    def get_reviews(self, service: Service) -> dict:
        counts = dict(Review.objects.filter(service=service, status="published").values_list("rating")
                      .annotate(n=Count("id")).values_list("rating", "n"))
        total = sum(counts.values())
        average = round(sum(r * n for r, n in counts.items()) / total, 2) if total else None
        return {"average": average, "count": total, "distribution": {str(i): counts.get(i, 0) for i in range(1, 6)}}

    def get_included_in(self, service: Service) -> list[dict]:
        return [{"id": link.parent.id, "title": link.parent.title, "service_type": link.parent.service_type,
                 "price_cents": link.parent.price_cents, "quantity": link.quantity}
                for link in service.active_containers]  # type: ignore[attr-defined]  # a Prefetch to_attr

    def get_children(self, service: Service) -> list[dict]:
        return [{"service_id": link.child_id, "quantity": link.quantity} for link in service.children.all()]
