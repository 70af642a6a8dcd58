"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import psutil
import psycopg
import redis

from infra.environment import search_engine_name


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(database_url: str, redis_url: str) -> dict[str, Any]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        postgres = row[0] if row else "?"
    try:
        server: dict[str, Any] = redis.Redis.from_url(redis_url).info("server")
        redis_version = server.get("redis_version", "?")
    except redis.RedisError:
        redis_version = "?"

    return {"cores": os.cpu_count(), "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "cpu": _cpu_model(), "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "postgresql": postgres, "redis": str(redis_version),
            "search_engine": search_engine_name(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
