"""Addresses, resources, changes and the provider seam shared by planner, executor and providers."""

from provisioner.model.address import address_matches, platform_of, select
from provisioner.model.change import Action, Change, FieldChange
from provisioner.model.provider import ApplyContext, Provider
from provisioner.model.resource import (
    CallModel,
    Deferred,
    KindSpec,
    LiveResource,
    LiveState,
    PlannedOps,
    Resource,
    UnmanagedObject,
)

__all__ = [
    "Action",
    "ApplyContext",
    "CallModel",
    "Change",
    "Deferred",
    "FieldChange",
    "KindSpec",
    "LiveResource",
    "LiveState",
    "PlannedOps",
    "Provider",
    "Resource",
    "UnmanagedObject",
    "address_matches",
    "platform_of",
    "select",
]
