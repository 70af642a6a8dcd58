"""Write-API flavour of the shared metrics middleware."""

from api_conventions.metrics import MetricsMiddleware


class WriteMetricsMiddleware(MetricsMiddleware):
    api_name = "write"
