"""The analytics warehouse (DuckDB): facts and dimensions projected from events (issue 6)."""
