"""``django_orm``: the conventional Django + DRF read side a team would build instead of CQRS (a baseline).

Never part of the product. It answers the read API's scenarios (same paths, same query parameters) from
the write tables with the ORM: DRF generic views and model serializers, ``select_related`` /
``prefetch_related``, PostgreSQL full-text search on stored, GIN-indexed ``tsvector`` columns (plus
trigram similarity where the server has ``pg_trgm``), the indexes its filters need (:mod:`.schema`),
and a 5-minute cache on analytics. The benchmark serves it with the read API's gunicorn settings.
"""
