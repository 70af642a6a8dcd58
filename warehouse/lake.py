"""The lake: DuckDB attached to a DuckLake whose catalog is a PostgreSQL database of its own.

* **Extensions offline.** ``ducklake``, ``postgres_scanner`` and (for an object store) ``httpfs`` are
  loaded from the PyPI wheels pinned next to ``duckdb`` (``duckdb-ext-*``): an extension binary loads
  only into the exact DuckDB release it was built for, so :func:`load_extensions` fails with
  :class:`LakeUnavailable` naming the missing or mismatched wheel instead of DuckDB's download attempt.
* **Catalog database.** ``WAREHOUSE_CATALOG_URL`` (default: ``DATABASE_URL``'s server, database
  ``<name>_warehouse``), never the write side's tables. :func:`ensure_catalog` creates it and a
  ``warehouse_reader`` role that may only read it (``WAREHOUSE_READER_URL`` names the read API's
  credentials; default: the catalog URL with that role and no password, for trust/peer servers).
* **Data files.** Parquet under ``WAREHOUSE_DATA_PATH`` (default ``DATA_DIR/warehouse/data/``) or an
  ``s3://`` prefix with the ``WAREHOUSE_S3_*`` settings (httpfs).
* **Writer and readers.** :func:`writer` yields this process's one read-write connection (kept open: a
  lake holds no file lock, and re-attaching costs a catalog load); :func:`reader_connection` attaches
  ``READ_ONLY`` with the reader's credentials, optionally pinned to one snapshot version.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import duckdb
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from infra.environment import data_path, database_url, env

log = logging.getLogger(__name__)

ALIAS = "lake"
READER_ROLE = "warehouse_reader"
DUCKDB_VERSION = "v1.4.4"
# Data inlining (small inserts kept in the catalog instead of a Parquet file) is off: in DuckLake 0.3
# (extension 1.4.4.20260205) a transaction that inserts inlined rows and then updates them (money
# attributed in the batch that brought it) commits an empty ``INSERT … VALUES ;`` and fails. Small commits
# write small files instead, and the maintenance job merges them (``warehouse.maintenance``).
INLINING_ROW_LIMIT = 0


class LakeUnavailable(RuntimeError):
    """The lake cannot be reached: catalog database down or unknown, extension missing, bad settings."""


# --- settings -------------------------------------------------------------------------------------------


def catalog_url() -> str:
    """The catalog database's URL with the writer's credentials."""
    configured = env("WAREHOUSE_CATALOG_URL")
    if configured:
        return configured
    parts = urlsplit(database_url())
    name = unquote(parts.path.lstrip("/")) or "marketplace"
    return urlunsplit(parts._replace(path="/" + quote(f"{name}_warehouse")))


def reader_url() -> str:
    """The read API's credentials: the catalog database only, as the read-only role."""
    configured = env("WAREHOUSE_READER_URL")
    if configured:
        return configured
    parts = urlsplit(catalog_url())
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{READER_ROLE}@{host}"))


def data_location() -> str:
    configured = env("WAREHOUSE_DATA_PATH")
    if configured:
        return configured if configured.endswith("/") else configured + "/"
    return str(data_path("warehouse", "data")) + "/"


def _uses_object_store(location: str) -> bool:
    return location.startswith(("s3://", "s3a://", "gcs://", "r2://"))


def _conninfo(url: str) -> str:
    """A libpq key=value string (what DuckDB's postgres extension takes) from a PostgreSQL URL."""
    values = {k: v for k, v in conninfo_to_dict(url).items() if v is not None}
    return make_conninfo("", **values)


def scalar(row: tuple[Any, ...] | None) -> Any:
    """The value of a one-row, one-column answer (``count(*)``, ``current_snapshot()``): ``fetchone()``'s row."""
    if row is None:
        raise LookupError("the query answered no row")
    return row[0]


def _quoted(text: str) -> str:
    return text.replace("'", "''")


# --- extensions -----------------------------------------------------------------------------------------


def extension_file(name: str) -> Path:
    """The ``.duckdb_extension`` shipped by the ``duckdb-ext-<name>`` wheel for this DuckDB release."""
    try:
        import duckdb_ext  # noqa: PLC0415 - missing wheels make the lake unusable (LakeUnavailable), not the API
    except ImportError as error:
        raise LakeUnavailable("the DuckDB extension wheels (duckdb-ext-ducklake, duckdb-ext-postgres) are not "
                              "installed; run `make` to install requirements.txt") from error
    for base in duckdb_ext.__path__:
        path = Path(base) / "extensions" / DUCKDB_VERSION / "linux_amd64" / f"{name}.duckdb_extension"
        if path.exists():
            return path
    raise LakeUnavailable(f"no {name} extension for DuckDB {DUCKDB_VERSION} in the duckdb-ext wheels; install "
                          f"the duckdb-ext-* wheels pinned in requirements.txt (DuckDB is {duckdb.__version__})")


def load_extensions(connection: duckdb.DuckDBPyConnection, *, object_store: bool = False) -> None:
    names = ["ducklake", "postgres_scanner"] + (["httpfs"] if object_store else [])
    for name in names:
        path = extension_file(name)
        try:
            connection.execute(f"LOAD '{_quoted(str(path))}'")
        except duckdb.Error as error:
            raise LakeUnavailable(f"the {name} extension at {path} does not load into DuckDB "
                                  f"{duckdb.__version__}: {error}") from error


def _connect(*, object_store: bool) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(config={"allow_unsigned_extensions": "true", "autoinstall_known_extensions": "false",
                                        "autoload_known_extensions": "false"})
    connection.execute("SET TimeZone = 'UTC'")
    load_extensions(connection, object_store=object_store)
    if object_store:
        _object_store_secret(connection)
    return connection


def _object_store_secret(connection: duckdb.DuckDBPyConnection) -> None:
    options = {"KEY_ID": env("WAREHOUSE_S3_ACCESS_KEY_ID"), "SECRET": env("WAREHOUSE_S3_SECRET_ACCESS_KEY"),
               "ENDPOINT": env("WAREHOUSE_S3_ENDPOINT"), "REGION": env("WAREHOUSE_S3_REGION"),
               "URL_STYLE": env("WAREHOUSE_S3_URL_STYLE")}
    parts = [f"{key} '{_quoted(value)}'" for key, value in options.items() if value]
    use_ssl = (env("WAREHOUSE_S3_USE_SSL") or "true").lower() in ("1", "true", "yes")
    parts.append(f"USE_SSL {'true' if use_ssl else 'false'}")
    connection.execute(f"CREATE OR REPLACE SECRET warehouse_s3 (TYPE s3, {', '.join(parts)})")


def check() -> list[str]:
    """Start-up check: every extension the configured lake needs loads into this DuckDB (the loaded names)."""
    object_store = _uses_object_store(data_location())
    connection = _connect(object_store=object_store)
    try:
        return [row[0] for row in connection.execute(
            "SELECT extension_name FROM duckdb_extensions() WHERE loaded ORDER BY 1").fetchall()]
    finally:
        connection.close()


# --- the catalog database -------------------------------------------------------------------------------


def _database_name(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/"))


def _maintenance_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def ensure_catalog() -> None:
    """Create the catalog database and the read-only role if missing (idempotent; ``migrate`` calls it).

    The role may read every table of the catalog, also those DuckLake creates later (default
    privileges); where the server refuses to create roles a warning says so and the read API must be
    given ``WAREHOUSE_READER_URL``.
    """
    url = catalog_url()
    name = _database_name(url)
    try:
        with psycopg.connect(_maintenance_url(url), autocommit=True, connect_timeout=5) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise LakeUnavailable(f"cannot create the warehouse catalog database {name!r}: {error}") from error
    reader = urlsplit(reader_url())
    role = unquote(reader.username or "")
    writer_role = unquote(urlsplit(url).username or "") or None
    if not role or role == writer_role:
        return
    password = unquote(reader.password) if reader.password else None
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
            if password:
                conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
            owner = scalar(conn.execute("SELECT current_user").fetchone())
            for statement in ("GRANT CONNECT ON DATABASE {db} TO {role}", "GRANT USAGE ON SCHEMA public TO {role}",
                              "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
                              "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
                              "GRANT SELECT ON TABLES TO {role}"):
                conn.execute(sql.SQL(statement).format(db=sql.Identifier(name), role=sql.Identifier(role),
                                                       owner=sql.Identifier(owner)))
    except psycopg.errors.InsufficientPrivilege:
        log.warning("this PostgreSQL user may not create the %s role; give the read API WAREHOUSE_READER_URL", role)


def drop_catalog() -> None:
    """Drop the catalog database (tests and resets); this process's lake connections are closed first."""
    close_all()
    url = catalog_url()
    with psycopg.connect(_maintenance_url(url), autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_database_name(url))))


def _grant_reader() -> None:
    """Tables DuckLake created before the default privileges existed (its first attach) become readable."""
    role = unquote(urlsplit(reader_url()).username or "")
    if not role or role == unquote(urlsplit(catalog_url()).username or ""):
        return
    with contextlib.suppress(psycopg.Error), \
            psycopg.connect(catalog_url(), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(sql.Identifier(role)))


# --- connections ----------------------------------------------------------------------------------------


def attach_statement(url: str, alias: str, *, read_only: bool, snapshot_version: int | None = None) -> str:
    """``ATTACH`` of the lake under ``alias``: the writer names where data files go; a reader may pin a snapshot."""
    options = []
    if read_only:
        options.append("READ_ONLY")
    else:
        options += [f"DATA_PATH '{_quoted(data_location())}'", f"DATA_INLINING_ROW_LIMIT {INLINING_ROW_LIMIT}"]
    if snapshot_version is not None:
        options.append(f"SNAPSHOT_VERSION {int(snapshot_version)}")
    target = _quoted("ducklake:postgres:" + _conninfo(url))
    return f"ATTACH '{target}' AS {alias} ({', '.join(options)})"


def _attach(connection: duckdb.DuckDBPyConnection, url: str, alias: str, *, read_only: bool) -> None:
    try:
        connection.execute(attach_statement(url, alias, read_only=read_only))
    except duckdb.Error as error:
        raise LakeUnavailable(f"cannot attach the warehouse lake ({_database_name(url)}): {error}") from error


class _Writer:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.connection: duckdb.DuckDBPyConnection | None = None

    def open(self) -> duckdb.DuckDBPyConnection:
        if self.connection is None:
            ensure_catalog()
            connection = _connect(object_store=_uses_object_store(data_location()))
            try:
                _attach(connection, catalog_url(), ALIAS, read_only=False)
                connection.execute(f"USE {ALIAS}")
            except BaseException:
                connection.close()
                raise
            _grant_reader()
            self.connection = connection
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            connection, self.connection = self.connection, None
            with contextlib.suppress(duckdb.Error):
                connection.close()


_writer = _Writer()
# Errors of a statement, not of the connection: the attachment stays usable after them.
_STATEMENT_ERRORS = (duckdb.CatalogException, duckdb.BinderException, duckdb.ConstraintException,
                     duckdb.ConversionException, duckdb.InvalidInputException)


@contextlib.contextmanager
def writer() -> Iterator[duckdb.DuckDBPyConnection]:
    """This process's read-write connection to the lake (``USE lake``), exclusively for the caller.

    A statement that fails leaves no transaction open (rolled back here); a connection whose catalog
    link broke is dropped and re-attached on next use.
    """
    with _writer.lock:
        connection = _writer.open()
        try:
            yield connection
        except BaseException as error:
            with contextlib.suppress(duckdb.Error):
                connection.execute("ROLLBACK")
            if isinstance(error, duckdb.Error) and not isinstance(error, _STATEMENT_ERRORS):
                _writer.close()
            raise


EVENT_LOG_ALIAS = "eventlog"


def attach_event_log(connection: duckdb.DuckDBPyConnection, conninfo: str) -> str:
    """Attach the write database ``READ_ONLY`` to the writer's connection (once) so that a batch reads the log
    with ``postgres_query`` instead of through Python; the alias. Only the writer does this: the read API
    never gets the write database's credentials."""
    attached = connection.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = $alias",
                                  {"alias": EVENT_LOG_ALIAS}).fetchone()
    if not attached or not attached[0]:
        try:
            connection.execute(f"ATTACH '{_quoted(conninfo)}' AS {EVENT_LOG_ALIAS} (TYPE postgres, READ_ONLY)")
        except duckdb.Error as error:
            raise LakeUnavailable(f"the warehouse writer cannot attach the event log's database: {error}") from error
    return EVENT_LOG_ALIAS


def reader_connection() -> duckdb.DuckDBPyConnection:
    """A new connection with the lake attached ``READ_ONLY`` as ``lake``, with the reader's credentials."""
    connection = _connect(object_store=_uses_object_store(data_location()))
    try:
        _attach(connection, reader_url(), ALIAS, read_only=True)
    except BaseException:
        connection.close()
        raise
    return connection


def close_all() -> None:
    with _writer.lock:
        _writer.close()
    from warehouse import maintenance, reader  # noqa: PLC0415 - both import this module

    reader.close_all()
    maintenance.forget()


if __name__ == "__main__":  # `python -m warehouse.lake`: the start-up check, on its own
    try:
        print("DuckDB", duckdb.__version__, "extensions loaded:", ", ".join(check()))
    except LakeUnavailable as failure:
        print(f"warehouse lake unusable: {failure}", file=sys.stderr)
        sys.exit(1)
