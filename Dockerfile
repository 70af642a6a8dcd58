# One image for every role of the stack (write API, read API, projector worker, warehouse writer, beat,
# migrations): docker-compose.yml picks the role with `command`. Default: the write API.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    BIND_HOST=0.0.0.0

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. Every pinned package ships a manylinux wheel.
COPY requirements.txt .
RUN pip install -r requirements.txt

# An unprivileged user owns only the state directory; the code stays read-only to it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data \
    && chown app:app /data

COPY . .

USER app
VOLUME ["/data"]
EXPOSE 8000 8001

# Gunicorn takes its worker count from WEB_CONCURRENCY.
CMD ["gunicorn", "--config", "python:infra.gunicorn_conf", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--graceful-timeout", "8", "write_api.wsgi:application"]
