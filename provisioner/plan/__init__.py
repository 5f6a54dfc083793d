"""Planning: diff desired against live state, order the changes, estimate, save and load plans."""

from provisioner.plan.builder import Plan, build_plan
from provisioner.plan.diff import diff_attrs
from provisioner.plan.estimate import Estimate, RateLimits, estimate_plan
from provisioner.plan.graph import ExecutionGraph, Node, build_graph
from provisioner.plan.planfile import SavedPlan, read_plan, write_plan

__all__ = [
    "Estimate",
    "ExecutionGraph",
    "Node",
    "Plan",
    "RateLimits",
    "SavedPlan",
    "build_graph",
    "build_plan",
    "diff_attrs",
    "estimate_plan",
    "read_plan",
    "write_plan",
]
