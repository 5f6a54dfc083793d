"""HTTP machinery shared by the vendor clients: auth, retries, rate limits, logging, errors."""

from provisioner.providers.http.credentials import (
    IhAppCredentials,
    IhCredentials,
    IhServiceCredentials,
    ItwinApiKey,
    ItwinClientCredentials,
    ItwinCredentials,
)
from provisioner.providers.http.errors import (
    AmbiguousWriteError,
    ApiConnectionError,
    ApiValidationError,
    AuthError,
    ConflictError,
    ForbiddenError,
    InsecureUrlError,
    NotFoundError,
    PreconditionFailedError,
    RateLimitedError,
    ServerError,
)
from provisioner.providers.http.rate_limits import (
    ENDPOINT_CLASSES,
    LimitsConfig,
    RateLimit,
    minimum_duration,
    rate_limits,
)
from provisioner.providers.http.retry import RetryPolicy
from provisioner.providers.http.session import CallStats, HttpSession

__all__ = [
    "ENDPOINT_CLASSES",
    "AmbiguousWriteError",
    "ApiConnectionError",
    "ApiValidationError",
    "AuthError",
    "CallStats",
    "ConflictError",
    "ForbiddenError",
    "HttpSession",
    "IhAppCredentials",
    "IhCredentials",
    "IhServiceCredentials",
    "InsecureUrlError",
    "ItwinApiKey",
    "ItwinClientCredentials",
    "ItwinCredentials",
    "LimitsConfig",
    "NotFoundError",
    "PreconditionFailedError",
    "RateLimit",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "minimum_duration",
    "rate_limits",
]
