"""A resource's `lifecycle:` block as both providers carry it (`Resource` fields and one attr)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from provisioner.config.schema import Lifecycle, Moved
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


def with_moves(resources: list[Resource], moved: list[Moved]) -> list[Resource]:
    """The resources with each `moved:` block's `from` on the resource at its `to`, and on every
    resource under it (an agent's mappings, a device's sensors) the address under `from`."""
    if not moved:
        return resources
    result = []
    for resource in resources:
        earlier = []
        for block in moved:
            if resource.address == block.to:
                earlier.append(block.from_)
            elif resource.address.startswith(block.to + "."):
                earlier.append(block.from_ + resource.address[len(block.to):])
        result.append(replace(resource, moved_from=(*resource.moved_from, *earlier)) if earlier else resource)
    return result


def moved_addresses(desired: Sequence[Resource]) -> dict[str, str]:
    """New address by earlier address, from the desired resources' `moved_from`."""
    return {earlier: r.address for r in desired for earlier in r.moved_from}
