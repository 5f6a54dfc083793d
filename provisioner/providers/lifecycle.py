"""A resource's `lifecycle:` block as both providers carry it (`Resource` fields and one attr)."""

from __future__ import annotations

from dataclasses import replace

from provisioner.config.schema import Lifecycle
from provisioner.model import Resource
from provisioner.providers.marker import PREVENT_DESTROY


def with_lifecycle(resource: Resource, lifecycle: Lifecycle | None) -> Resource:
    """`resource` with its `lifecycle:` block: ignored paths, and `prevent_destroy` both as the typed
    field and as the attr that the owner marker carries (so setting or clearing it is an update)."""
    if lifecycle is None:
        return resource
    attrs = {**resource.attrs, PREVENT_DESTROY: True} if lifecycle.prevent_destroy else resource.attrs
    return replace(resource, attrs=attrs, ignore_changes=tuple(lifecycle.ignore_changes),
                   prevent_destroy=lifecycle.prevent_destroy)
