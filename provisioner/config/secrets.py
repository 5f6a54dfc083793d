"""`${env:NAME}` secret references: resolved only on request, never printed."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, PlainValidator, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from provisioner.errors import ConfigError, ConfigIssue, SourceLocation

ENV_REF = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")
ENV_REF_PATTERN = ENV_REF.pattern
MASK = "***"

_LITERAL_MESSAGE = (
    "literal secrets are not allowed: put the value in an environment variable and write ${env:NAME}"
)


class Secret:
    """A reference to an environment variable holding a secret.

    `str`, `repr` and JSON serialization give `***`; only `reveal()` reads the value.
    `location` is where the reference is written (set by the loader).
    """

    __slots__ = ("env_name", "location")

    def __init__(self, env_name: str, location: SourceLocation | None = None) -> None:
        self.env_name = env_name
        self.location = location

    @property
    def reference(self) -> str:
        """The reference as written in YAML, `${env:NAME}` (safe to print)."""
        return "${env:" + self.env_name + "}"

    def is_set(self) -> bool:
        return self.env_name in os.environ

    def reveal(self) -> str:
        """The secret's value; raises ConfigError naming the reference when the variable is unset."""
        value = os.environ.get(self.env_name)
        if value is None:
            raise ConfigError([missing_issue(self)])
        return value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.env_name == self.env_name

    def __hash__(self) -> int:
        return hash(("Secret", self.env_name))

    @classmethod
    def parse(cls, value: object) -> Secret:
        """Accept a Secret or an `${env:NAME}` string; reject anything else without echoing it."""
        if isinstance(value, Secret):
            return value
        if isinstance(value, str):
            match = ENV_REF.match(value.strip())
            if match:
                return cls(match.group(1))
        raise ValueError(_LITERAL_MESSAGE)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(lambda _v: MASK)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "pattern": ENV_REF_PATTERN,
            "description": "A secret: always an ${env:NAME} reference, resolved at run time.",
        }


def missing_issue(secret: Secret) -> ConfigIssue:
    return ConfigIssue(
        f"environment variable {secret.env_name} is not set (referenced as {secret.reference})",
        secret.location,
    )


def _secret_or_str(value: object) -> Secret | str:
    if isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret.parse(value) if ENV_REF.match(value.strip()) else value
    raise ValueError("must be a string or an ${env:NAME} reference")


SecretOrStr = Annotated[
    Secret | str,
    PlainValidator(_secret_or_str, json_schema_input_type=str),
    WithJsonSchema({"type": "string", "description": "A literal value or an ${env:NAME} reference."}),
]
"""A field that may be literal (a client id) or an `${env:NAME}` reference."""


def iter_secrets(value: object) -> Iterator[Secret]:
    """Every Secret inside a pydantic model, list or dict (depth-first)."""
    if isinstance(value, Secret):
        yield value
        return
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:
        for name in fields:
            yield from iter_secrets(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_secrets(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from iter_secrets(item)
