"""The exceptions a user may see. Anything else reaching the CLI is a bug."""

from __future__ import annotations

from dataclasses import dataclass


class ProvisionError(Exception):
    """An expected failure with a user-facing message and an exit code."""

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A place in a user's file: 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem found in the configuration."""

    message: str
    location: SourceLocation | None = None
    address: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        what = f"{self.address}: " if self.address else ""
        return f"{where}{what}{self.message}"


class ConfigError(ProvisionError):
    """The configuration is invalid; carries every issue found, not only the first."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = list(issues)
        lines = [str(i) for i in self.issues]
        count = len(self.issues)
        header = f"{count} configuration error{'s' if count != 1 else ''}:"
        super().__init__("\n".join([header, *("  " + line for line in lines)]), exit_code=1)


class ApiError(ProvisionError):
    """A vendor API answered with an error the caller did not expect."""

    def __init__(self, message: str, *, status: int | None = None, method: str = "", url: str = "",
                 body: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.url = url
        self.body = body


class AmbiguousWriteError(ApiError):
    """A write that is not safe to repeat may or may not have been applied.

    Raised instead of retrying blindly: a read timeout, a connection dropped after the request was
    sent, or a 5xx answer to a non-idempotent request. Also raised when a retried write fails with
    404/409/412, since the earlier attempt may have caused that answer. The caller should look the
    object up before deciding what to do. It lives here, not with the HTTP clients, because the
    engine decides on it too (the executor re-runs a change whose write the lookup found not applied).
    """
