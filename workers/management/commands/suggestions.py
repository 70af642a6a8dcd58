"""``python manage.py suggestions list | remove "<query>"``: staff moderation of shared query suggestions."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from read_models.search import popular_queries


class Command(BaseCommand):
    help = "List the popular queries suggested to everyone, or remove one for good."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every query suggested to everyone, with its count of distinct users")
        remove = sub.add_parser("remove", help="stop suggesting a query (it never comes back)")
        remove.add_argument("query")

    def handle(self, *args, **options) -> None:
        if options["action"] == "list":
            for query in popular_queries.shown():
                self.stdout.write(f"{query.count:>6}  {query.text}")
            return
        query = options["query"]
        if not query.strip():
            raise CommandError("give the query to remove")
        was_shown = popular_queries.remove(query)
        self.stdout.write(f"removed {query!r}" + ("" if was_shown else " (it was not suggested; it never will be)"))
