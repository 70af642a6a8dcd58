"""The read API: a separate Django project answering from read models (search index, Redis, DuckDB).

It never touches the write database: JWTs are verified statelessly and positions come from Redis.
"""
