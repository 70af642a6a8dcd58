"""docker-compose.yml and the Dockerfile agree with the code (no Docker engine runs here, so the file is
checked statically): healthchecks, declared variables, the wiring of both APIs, ports, dependencies and
the modules each command starts."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from infra.environment import PROJECT_ROOT, VARIABLES
from workers.celery_app import app

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
DECLARED = {v.name for v in VARIABLES}
DEFAULTS = {v.name: v.default for v in VARIABLES}
APP_IMAGE = "wellness-marketplace:latest"
# Settings read by third-party images themselves (documented by each image), not by our code.
IMAGE_VARIABLES = {
    "postgres": {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"},
    "redis": set(),
    "docker.elastic.co/elasticsearch/elasticsearch": {"discovery.type", "xpack.security.enabled", "ES_JAVA_OPTS"},
    "minio/minio": {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"},
    "minio/mc": set(),
}
# `$$NAME` is left to the container's shell at run time; these are the ones Docker itself provides.
RUNTIME_SHELL_VARIABLES = {"HOSTNAME"}


@pytest.fixture(scope="module")
def raw() -> str:
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def services(raw: str) -> dict[str, dict]:
    return yaml.safe_load(raw)["services"]


def _environment(service: dict) -> dict[str, str]:
    value = service.get("environment") or {}
    if isinstance(value, list):
        value = dict(item.split("=", 1) if "=" in item else (item, "") for item in value)
    return {str(k): str(v) for k, v in value.items()}


def _app_services(services: dict[str, dict]) -> dict[str, dict]:
    return {name: s for name, s in services.items() if s.get("image") == APP_IMAGE}


def _command(service: dict) -> list[str]:
    command = service.get("command")
    assert isinstance(command, list), "commands are written in exec form"
    return [str(part) for part in command]


def _option(command: list[str], flag: str) -> str:
    assert flag in command, f"{flag} missing from {command}"
    return command[command.index(flag) + 1]


def _healthcheck_text(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


def test_the_stack_has_every_role(services):
    assert {"postgres", "redis", "elasticsearch", "minio", "minio-init", "migrate", "write-api", "read-api", "worker",
            "warehouse-writer", "beat"} <= set(services)
    assert set(_app_services(services)) == {"migrate", "write-api", "read-api", "worker", "warehouse-writer", "beat"}
    assert all(s.get("build") == "." for s in _app_services(services).values()), "one image serves every role"


def test_every_service_has_a_real_healthcheck(services):
    for name, service in services.items():
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable"), name
        test = check["test"]
        assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, name


def test_healthchecks_probe_what_each_service_is(services):
    assert "pg_isready" in _healthcheck_text(services["postgres"])
    assert "redis-cli ping" in _healthcheck_text(services["redis"])
    assert "_cluster/health" in _healthcheck_text(services["elasticsearch"])
    assert "http://127.0.0.1:8000/health/ready/" in _healthcheck_text(services["write-api"])
    assert "http://127.0.0.1:8001/health/ready/" in _healthcheck_text(services["read-api"])
    for worker in ("worker", "warehouse-writer"):
        command = _command(services[worker])
        node = _option(command, "--hostname").replace("%h", "$$HOSTNAME")
        assert f"celery -A workers.celery_app inspect ping --destination {node}" in _healthcheck_text(
            services[worker]), worker


def test_every_variable_our_image_reads_is_declared(services):
    for name, service in _app_services(services).items():
        undeclared = set(_environment(service)) - DECLARED
        assert not undeclared, f"{name} sets undeclared variables {undeclared}"


def test_third_party_services_set_only_their_image_settings(services):
    for name, service in services.items():
        if service.get("image") == APP_IMAGE:
            continue
        image = service["image"].rsplit(":", 1)[0]
        assert image in IMAGE_VARIABLES, f"{name}: unknown image {image}"
        assert set(_environment(service)) <= IMAGE_VARIABLES[image], name


def test_every_interpolated_variable_is_declared(raw):
    without_escapes = raw.replace("$$", "")
    interpolated = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", without_escapes))
    interpolated |= set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", without_escapes))
    assert interpolated, "the secrets at least come from the environment"
    assert interpolated <= DECLARED, interpolated - DECLARED
    runtime = set(re.findall(r"\$\$\{?([A-Za-z_][A-Za-z0-9_]*)", raw))
    assert runtime <= RUNTIME_SHELL_VARIABLES | DECLARED, runtime


def test_both_apis_share_redis_and_the_jwt_key_and_only_the_write_api_sees_the_database(services):
    write, read = _environment(services["write-api"]), _environment(services["read-api"])
    for name in ("DATABASE_URL", "REDIS_URL", "JWT_SIGNING_KEY", "SECRET_KEY"):
        assert write.get(name), f"write API lacks {name}"
    for name in ("REDIS_URL", "JWT_SIGNING_KEY", "SECRET_KEY", "ELASTICSEARCH_URL"):
        assert read.get(name), f"read API lacks {name}"
    assert write["JWT_SIGNING_KEY"] == read["JWT_SIGNING_KEY"], "the read API verifies the write API's tokens"
    assert write["REDIS_URL"] == read["REDIS_URL"]
    assert "DATABASE_URL" not in read, "the read API must not touch the write database"
    assert not {"postgres", "migrate"} & set(services["read-api"].get("depends_on", {}))


def test_the_read_api_reads_the_lake_read_only_and_mounts_no_volume(services):
    read, writer = _environment(services["read-api"]), _environment(services["warehouse-writer"])
    assert "volumes" not in services["read-api"], "the read API must not share the writer's disk"
    assert read["WAREHOUSE_DATA_PATH"] == writer["WAREHOUSE_DATA_PATH"]
    assert read["WAREHOUSE_DATA_PATH"].startswith("s3://")
    reader, catalog = urlsplit(read["WAREHOUSE_READER_URL"]), urlsplit(writer["WAREHOUSE_CATALOG_URL"])
    assert reader.username == "warehouse_reader" != catalog.username
    assert (reader.hostname, reader.port, reader.path) == (catalog.hostname, catalog.port, catalog.path)
    assert catalog.path != urlsplit(writer["DATABASE_URL"]).path, "the catalog is a database of its own"
    assert "WAREHOUSE_CATALOG_URL" not in read
    assert read["WAREHOUSE_S3_ACCESS_KEY_ID"] != writer["WAREHOUSE_S3_ACCESS_KEY_ID"]
    init = " ".join(services["minio-init"]["command"])
    assert f"admin user add lake {read['WAREHOUSE_S3_ACCESS_KEY_ID']}" in init and "readonly" in init
    minio = _environment(services["minio"])
    assert minio["MINIO_ROOT_USER"] == writer["WAREHOUSE_S3_ACCESS_KEY_ID"]
    assert _environment(services["migrate"])["WAREHOUSE_READER_URL"] == read["WAREHOUSE_READER_URL"], \
        "migrate creates the reader role with the read API's password"


def test_every_app_service_points_at_the_same_servers(services):
    postgres = _environment(services["postgres"])
    environments = {name: _environment(s) for name, s in _app_services(services).items()}
    for variable, host, port in (("DATABASE_URL", "postgres", 5432), ("REDIS_URL", "redis", 6379),
                                 ("ELASTICSEARCH_URL", "elasticsearch", 9200)):
        values = {env[variable] for env in environments.values() if variable in env}
        assert len(values) == 1, f"{variable} differs between services: {values}"
        url = urlsplit(values.pop())
        assert (url.hostname, url.port) == (host, port), variable
        if variable == "DATABASE_URL":
            assert (url.username, url.password, url.path.lstrip("/")) == (
                postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], postgres["POSTGRES_DB"])
    for name in ("migrate", "write-api", "worker", "warehouse-writer", "beat"):
        assert "DATABASE_URL" in environments[name], name
    for name in ("worker", "warehouse-writer"):
        assert environments[name]["ELASTICSEARCH_URL"], name
    assert environments["write-api"]["EVENT_DISPATCH"] == "celery", "writes trigger the projectors on commit"


@pytest.mark.parametrize(("service", "variable", "wsgi"), [("write-api", "WRITE_API_PORT", "write_api.wsgi"),
                                                           ("read-api", "READ_API_PORT", "read_models.wsgi")])
def test_api_ports_match_the_declared_ports(services, service, variable, wsgi):
    api = services[service]
    port = DEFAULTS[variable]
    command = _command(api)
    assert command[0] == "gunicorn" and command[-1] == f"{wsgi}:application"
    assert _option(command, "--bind") == f"0.0.0.0:{port}"
    environment = _environment(api)
    assert environment[variable] == port
    assert environment["BIND_HOST"] == "0.0.0.0"
    assert [str(p) for p in api["ports"]] == [f"{port}:{port}"]
    assert f"http://127.0.0.1:{port}/health/ready/" in _healthcheck_text(api)


def test_dependencies_exist_and_wait_for_the_right_state(services):
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for target, rule in depends.items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = rule["condition"]
            if condition == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} must be a one-shot"
            else:
                assert condition == "service_healthy", (name, target)
                assert services[target].get("healthcheck"), target
    for name in ("write-api", "worker", "warehouse-writer"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def _modules_started_by(command: list[str]) -> list[str]:
    modules = []
    if command[0] == "gunicorn":
        modules.append(command[-1].split(":")[0])
    if command[0] == "celery":
        modules.append(_option(command, "-A"))
    if command[:2] == ["python", "-m"]:
        modules.append(command[2])
    return modules


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def test_commands_start_modules_that_exist(services):
    for name, service in _app_services(services).items():
        command = _command(service)
        if command[:2] == ["python", "manage.py"]:
            assert (PROJECT_ROOT / "manage.py").exists()
            continue
        modules = _modules_started_by(command)
        assert modules, f"{name}: unrecognised command {command}"
        for module in modules:
            assert _module_exists(module), f"{name} starts missing module {module}"


def test_workers_consume_every_queue_the_app_routes_to(services):
    consumed: dict[str, str] = {}
    for name in ("worker", "warehouse-writer"):
        command = _command(services[name])
        assert command[3] == "worker"
        for queue in _option(command, "--queues").split(","):
            consumed[queue] = name
    routed = {app.conf.task_default_queue} | {r["queue"] for r in app.conf.task_routes.values()}
    assert routed | {q.name for q in app.conf.task_queues} <= set(consumed), routed - set(consumed)
    assert consumed["warehouse"] == "warehouse-writer"
    assert _option(_command(services["warehouse-writer"]), "--queues") == "warehouse"
    assert _option(_command(services["warehouse-writer"]), "--concurrency") == "1", "the lake has one writer"
    assert _command(services["beat"])[3] == "beat"


def test_dockerfile_builds_one_unprivileged_image_whose_default_is_the_write_api():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    instructions = [line for line in dockerfile.splitlines() if line and not line.startswith(("#", " "))]
    assert instructions[0] == "FROM python:3.11-slim"
    assert "pip install -r requirements.txt" in dockerfile
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    cmd = next(line for line in instructions if line.startswith("CMD "))
    assert '"gunicorn"' in cmd and '"write_api.wsgi:application"' in cmd
    ignored = set(Path(PROJECT_ROOT / ".dockerignore").read_text().split())
    assert {".venv", "var", ".git"} <= ignored


def test_secrets_have_no_committed_default(raw):
    """``${NAME:-value}`` would sign tokens with a key anyone can read here; ``${NAME:?…}`` refuses to start."""
    for name in ("SECRET_KEY", "JWT_SIGNING_KEY"):
        assert re.search(rf"\$\{{{name}:\?[^}}]+\}}", raw), name
        assert not re.search(rf"\$\{{{name}:?-", raw), name


def test_every_long_running_service_restarts_after_a_crash(services):
    """The compose counterpart of ``infra.supervise``'s restarts: a crashed process comes back (the one-shot
    one-shots ``migrate`` and ``minio-init`` run once; what waits for them waits for their successful completion)."""
    for name, service in services.items():
        expected = "no" if name in ("migrate", "minio-init") else "unless-stopped"
        assert service.get("restart") == expected, name
