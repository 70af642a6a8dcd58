"""Every environment variable the system reads, declared once.

Settings modules call :func:`env` instead of ``os.environ``; reading an undeclared name is a
programming error. The README table and the docker-compose consistency test are checked against
:data:`VARIABLES`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from infra.keys import stored_keys

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Variable:
    name: str
    default: str | None
    description: str


VARIABLES: tuple[Variable, ...] = (
    Variable("DATA_DIR", "./var", "State directory: embedded PostgreSQL and Redis, search index, warehouse, logs."),
    Variable("DATABASE_URL", None, "PostgreSQL URL. Unset: an embedded PostgreSQL runs under `DATA_DIR/postgres`."),
    Variable("REDIS_URL", None,
             "Redis URL (read models, throttling, positions). Unset: embedded Redis under `DATA_DIR/redis`."),
    Variable("CELERY_BROKER_URL", None, "Celery broker. Unset: `REDIS_URL`."),
    Variable("SEARCH_ENGINE", None,
             "`tantivy`, `opensearch` or `elasticsearch`. Unset: chosen from the URLs below, else `tantivy`."),
    Variable("ELASTICSEARCH_URL", None, "Elasticsearch endpoint; selects the Elasticsearch engine."),
    Variable("OPENSEARCH_URL", None, "OpenSearch endpoint (or `osmem-server`); selects the OpenSearch engine."),
    Variable("SEARCH_INDEX_PREFIX", "marketplace", "Prefix of search index and alias names."),
    Variable("WRITE_API_PORT", "8000", "Port of the write API."),
    Variable("READ_API_PORT", "8001", "Port of the read API."),
    Variable("BIND_HOST", "127.0.0.1", "Interface the APIs listen on (`0.0.0.0` in containers)."),
    Variable("WEB_CONCURRENCY", "2", "Gunicorn worker processes per API."),
    Variable("READ_API_THREADS", "4", "Threads per read-API gunicorn worker (gthread); at most this minus one "
             "requests per worker wait for `X-Min-Position` at once, the others are answered 503 at once."),
    Variable("WORKER_CONCURRENCY", "2", "Celery projector worker processes."),
    Variable("SECRET_KEY", None, "Django secret key (at least 32 characters). Unset: `make run` generates a random "
             "one once into `DATA_DIR/keys.env` (mode 0600); without either, the APIs refuse to start."),
    Variable("JWT_SIGNING_KEY", None, "HMAC key signing JWTs; the read API verifies with it. Unset: generated like "
             "`SECRET_KEY` into `DATA_DIR/keys.env`, else `SECRET_KEY`."),
    Variable("DEBUG", "0", "`1` enables Django debug mode (never in production)."),
    Variable("ALLOWED_HOSTS", "*", "Comma-separated host names the APIs answer to."),
    Variable("CORS_ALLOWED_ORIGINS",
             "http://localhost:3000,http://127.0.0.1:3000,http://localhost:5173,http://127.0.0.1:5173",
             "Comma-separated origins (`scheme://host:port`) whose browser pages may call both APIs (CORS); "
             "the default admits local frontend dev servers on ports 3000 and 5173."),
    Variable("LOG_LEVEL", "INFO", "Log level of every process."),
    Variable("DEMO_DATA", "1", "`0` skips loading demo data into an empty database on `make run`."),
    Variable("EVENT_DISPATCH", "celery",
             "`celery`: trigger projectors on commit; `off`: only beat and explicit drains."),
    Variable("PROJECTIONS", None,
             "Comma-separated projections this deployment drives (default: all), e.g. `warehouse` for a host "
             "that only runs the analytics writer; the others are neither drained nor rebuilt here."),
    Variable("PROJECTION_BATCH_SIZE", "500", "Events a projector applies per batch when it is up to date."),
    Variable("PROJECTION_CATCH_UP_BATCH_SIZE", "20000",
             "Largest batch while a projector is behind (rebuilds, backlogs): batches double up to it."),
    Variable("MIN_POSITION_WAIT_SECONDS", "2",
             "Longest a read waits for `X-Min-Position` before 503 `projection_lagging`."),
    Variable("MAX_BODY_BYTES", "1048576", "Largest accepted request body; larger gets 413."),
    Variable("THROTTLE_ANON", "120/min", "Request rate allowed per anonymous client IP."),
    Variable("THROTTLE_USER", "600/min", "Request rate allowed per authenticated user."),
    Variable("THROTTLE_AUTH", "20/min", "Rate of login/register/refresh attempts per client IP."),
    Variable("METRICS_TOKEN", None, "`/metrics` answers loopback clients, and others only with `Authorization: "
             "Bearer <METRICS_TOKEN>` when this is set; everyone else gets 403."),
    Variable("PROMETHEUS_MULTIPROC_DIR", None, "Directory where an API's gunicorn workers share Prometheus samples. "
             "`make run` sets one per API under `DATA_DIR/prometheus` (wiped at start); unset: each process "
             "reports only its own figures."),
    Variable("WAREHOUSE_CATALOG_URL", None, "PostgreSQL URL of the warehouse's DuckLake catalog, a database of its "
             "own (created by `migrate`). Unset: `DATABASE_URL`'s server, database `<name>_warehouse`."),
    Variable("WAREHOUSE_READER_URL", None, "The read API's credentials for the catalog database only (a read-only "
             "role; `migrate` creates it, with this URL's password if any). Unset: `WAREHOUSE_CATALOG_URL` as role "
             "`warehouse_reader` without a password (trust/peer servers such as the embedded one)."),
    Variable("WAREHOUSE_DATA_PATH", None, "Where the lake's Parquet files go: a directory, or an "
             "`s3://bucket/prefix/` of an S3-compatible store (MinIO…; then the `WAREHOUSE_S3_*` "
             "settings). Unset: `DATA_DIR/warehouse/data/`."),
    Variable("WAREHOUSE_S3_ENDPOINT", None, "Object store endpoint `host:port` (unset: AWS S3)."),
    Variable("WAREHOUSE_S3_ACCESS_KEY_ID", None, "Object store access key id."),
    Variable("WAREHOUSE_S3_SECRET_ACCESS_KEY", None, "Object store secret access key."),
    Variable("WAREHOUSE_S3_REGION", None, "Object store region (unset: the store's default)."),
    Variable("WAREHOUSE_S3_URL_STYLE", None, "`path` for MinIO-style stores, `vhost` (default) for AWS."),
    Variable("WAREHOUSE_S3_USE_SSL", "true", "`false` for a plain-HTTP object store endpoint."),
    Variable("WAREHOUSE_HISTORY_SECONDS", "3600", "How far back `as_of_position` reaches: older lake snapshots "
             "expire at the next maintenance run."),
    Variable("WAREHOUSE_MAINTENANCE_SECONDS", "60", "How often beat compacts the lake (flush inlined rows, merge "
             "small files, expire old snapshots, delete unreferenced files)."),
    Variable("ANALYTICS_CACHE_SECONDS", "30", "How long the read API caches an analytics answer for one lake snapshot "
             "(a newer snapshot is never served from an older answer); `0` disables the cache."),
)

_BY_NAME = {v.name: v for v in VARIABLES}


def runtime_file(data_dir: Path | None = None) -> Path:
    """File where a running `make run` records the URLs of the embedded servers it started."""
    return (data_dir or data_path()) / "runtime.env"


def _runtime_values() -> dict[str, str]:
    raw = os.environ.get("DATA_DIR") or _BY_NAME["DATA_DIR"].default
    path = runtime_file(_absolute(raw or "./var"))
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


def env(name: str) -> str | None:
    """The value of a declared variable: process environment, then `runtime.env` (server URLs) or
    `keys.env` (generated keys) under DATA_DIR, then default."""
    variable = _BY_NAME.get(name)
    if variable is None:
        raise KeyError(f"{name} is not declared in infra.environment.VARIABLES")
    value = os.environ.get(name)
    if value not in (None, ""):
        return value
    if name in ("DATABASE_URL", "REDIS_URL"):
        value = _runtime_values().get(name)
        if value:
            return value
    if name in ("SECRET_KEY", "JWT_SIGNING_KEY"):
        value = stored_keys(_absolute(os.environ.get("DATA_DIR") or _BY_NAME["DATA_DIR"].default or "./var")).get(name)
        if value:
            return value
    return variable.default


def env_int(name: str) -> int:
    value = env(name)
    if value is None:
        raise KeyError(f"{name} has no value")
    return int(value)


def env_bool(name: str) -> bool:
    return (env(name) or "").strip().lower() in ("1", "true", "yes", "on")


def _absolute(raw: str) -> Path:
    path = Path(raw)
    return path if path.is_absolute() else (PROJECT_ROOT / path)


def data_path(*parts: str) -> Path:
    """A path under DATA_DIR (created on demand)."""
    base = _absolute(env("DATA_DIR") or "./var")
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def search_engine_name() -> str:
    chosen = env("SEARCH_ENGINE")
    if chosen:
        return chosen
    if env("ELASTICSEARCH_URL"):
        return "elasticsearch"
    if env("OPENSEARCH_URL"):
        return "opensearch"
    return "tantivy"


def redis_url() -> str:
    value = env("REDIS_URL")
    if not value:
        raise RuntimeError("REDIS_URL is not set and no embedded Redis is running (use `make run`).")
    return value


def database_url() -> str:
    value = env("DATABASE_URL")
    if not value:
        raise RuntimeError("DATABASE_URL is not set and no embedded PostgreSQL is running (use `make run`).")
    return value
