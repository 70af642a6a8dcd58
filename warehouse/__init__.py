"""The analytics warehouse on DuckLake: facts and dimensions projected from events (issues 6, 12)."""
