"""Apply speed of a fleet into an empty tenant (issue 5).

Applies an N-site fleet (default 500 sites, ~15 plan nodes a site) to an empty `provision sandbox`
in a child process (a fresh one per run, on a loopback port, injected latency default 20 ms), so
the emulator's CPU is not spent on the client's thread, as with the real service. Each run's
client is itself a fresh child process of this script (so its peak RSS is its own). Per run:

- API calls made by the apply vs the minimum from the plan: one call per created object, except
  an agent (2: its core.mclib asset, then the agent) and iTwin devices/sensors created with their
  connection (0: one integrate carries the whole new subtree). The token was fetched by the plan
  in the same session, so none is due during the apply. Counted with the client's call
  statistics and checked equal to what the child sandbox served (`GET /_sandbox/counts`).
- wall time vs the I/O lower bound: the largest of the critical path (each call one latency),
  each platform's calls made x latency / its concurrency, and all calls x latency / parallelism.
  Target <= 1.3.
- cold-apply calls / minimum: the duplicate guard's cost. Target <= 1.05 (goal 1.02); the only
  extra calls of a cold apply are the stack lease's take and release (2 in all).
- speed-up over `parallelism 1`: per-object throughput (plan nodes per second) against a
  parallelism-1 run of a smaller fleet (`--baseline-sites`, default 25; its throughput does not
  depend on size since every call is serial), also against a child-process sandbox. Target >= 10
  at the default parallelism.
- peak RSS of the apply's process (the client only: the sandbox is another process).
- converged: a plan after the apply (latency set to 0 first) has no changes and no node failed.
- estimate / actual per platform: the plan's estimated calls (`Estimate.calls_by_platform`, the stack
  lease's take and release included) against the calls the apply made (= the sandbox's count).
  Target 1.00 exactly.

Configurations: `default` = the config schema's default `concurrency` per platform and the CLI's
default `--parallelism` (examples/fleet as shipped sets neither); `low` = concurrency 4 per
platform with parallelism 16, for comparison. Targets are judged on `default`.

Run: .venv/bin/python benchmarks/bench_apply_fleet.py [--sites N] [--latency-ms MS] [--configs a,b]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import _fleet
from _fleet import ratio, table, verdict

from provisioner import event_loop
from provisioner.pipeline import DEFAULT_PARALLELISM

WALL_TARGET = 1.3
SPEEDUP_TARGET = 10.0
CALLS_TARGET = 1.05  # cold apply calls / minimum (issue 11; goal 1.02): no extra list per create
CALLS_GOAL = 1.02


@dataclass(frozen=True)
class Config:
    name: str
    parallelism: int
    concurrency: dict[str, int] | None  # None: the example's own settings (the schema defaults)


DEFAULT = "default"
CONFIGS = {
    DEFAULT: Config(DEFAULT, DEFAULT_PARALLELISM, None),
    "low": Config("low", 16, {"insights_hub": 4, "itwin_iot": 4}),
}


@dataclass
class Result:
    """Figures of one apply run (JSON-serialisable: it crosses the child process boundary)."""

    config: str
    sites: int
    parallelism: int
    concurrency: dict[str, int]
    latency_ms: float
    nodes: int
    failed: int
    calls: dict[str, int]
    served: int  # requests the child sandbox served during the apply (== sum(calls))
    minimum: dict[str, int]
    critical_path_s: float
    seconds: float
    cpu_seconds: float
    maxrss_mb: float
    empty_after: bool
    estimate: dict[str, int]  # the plan's estimate of the apply's calls per platform

    def estimate_ratio(self, platform: str) -> float:
        """The plan's call estimate / the calls made, on one platform."""
        return ratio(self.estimate.get(platform, 0), self.calls.get(platform, 0))

    @property
    def calls_ratio(self) -> float:
        return ratio(sum(self.calls.values()), sum(self.minimum.values()))

    def bounds(self) -> dict[str, float]:
        latency = self.latency_ms / 1000
        out = {"critical path": self.critical_path_s,
               "all calls / parallelism": sum(self.calls.values()) * latency / self.parallelism}
        for platform, n in self.calls.items():
            out[f"{platform} calls / {self.concurrency.get(platform, 1)}"] = (
                n * latency / max(1, self.concurrency.get(platform, 1)))
        return out

    @property
    def bound(self) -> float:
        return max(self.bounds().values())

    @property
    def binding(self) -> str:
        bounds = self.bounds()
        return max(bounds, key=lambda k: bounds[k])

    @property
    def wall_ratio(self) -> float:
        return ratio(self.seconds, self.bound)

    @property
    def throughput(self) -> float:
        return self.nodes / self.seconds if self.seconds else 0.0


async def measure(config: Config, sites: int, latency_ms: float, *, check_converged: bool = True) -> Result:
    """Apply a fresh `sites`-site fleet under `config` into a fresh empty child-process sandbox
    with `latency_ms`; check the client's call count against the sandbox's; optionally re-plan."""
    with tempfile.TemporaryDirectory() as tmp:
        project = _fleet.load_fleet(_fleet.make_fleet(Path(tmp), sites, concurrency=config.concurrency))
        with _fleet.SandboxProcess(latency_ms=latency_ms) as server:
            remote = _fleet.remote_project(project, server.url)
            run = await _fleet.apply_fleet(remote, None, parallelism=config.parallelism,
                                           before_apply=lambda: server.counts(reset=True))
            served = int(server.counts()["total"])
            if served != sum(run.calls_by_class.values()):
                raise RuntimeError(f"client counted {sum(run.calls_by_class.values())} apply calls, "
                                   f"the sandbox served {served}")
            empty_after = True
            if check_converged:
                server.set_latency(0)
                empty_after = (await _fleet.plan_fleet(remote, None)).changes == 0
    return Result(config.name, sites, config.parallelism, run.concurrency, latency_ms, run.objects,
                  run.failed, run.calls, served, _fleet.apply_minimum(run.plan),
                  _fleet.critical_path_seconds(run.plan, latency_ms / 1000), run.seconds, run.cpu_seconds,
                  run.maxrss_mb, empty_after, dict(run.plan.estimate.calls_by_platform))


def measure_in_child(config: Config, sites: int, latency_ms: float) -> Result:
    """`measure` in a fresh interpreter (own peak RSS, no state left over from other runs)."""
    spec = json.dumps({"config": asdict(config), "sites": sites, "latency_ms": latency_ms})
    out = subprocess.run([sys.executable, __file__, "--child", spec], check=True, capture_output=True,
                         text=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return Result(**data)


def speedup(r: Result, baseline: Result) -> float:
    return ratio(r.throughput, baseline.throughput)


def report(results: list[Result], baseline: Result) -> str:
    rows = []
    for r in results:
        up = speedup(r, baseline)
        conc = "/".join(str(r.concurrency.get(p, "-")) for p in _fleet.PLATFORMS)
        rows.append((
            r.config, f"{conc} p{r.parallelism}", r.nodes,
            f"{sum(r.calls.values())}/{sum(r.minimum.values())}", r.served,
            f"{r.calls_ratio:.3f}", f"{r.seconds:.2f}s", f"{r.bound:.2f}s", f"{r.wall_ratio:.2f}",
            verdict(r.wall_ratio <= WALL_TARGET), f"{r.throughput:.0f}", f"{up:.1f}x",
            verdict(up >= SPEEDUP_TARGET), f"{r.cpu_seconds:.1f}s", f"{r.maxrss_mb:.0f}MB",
            "yes" if r.empty_after and not r.failed else f"NO ({r.failed} failed)",
        ))
    main = table(rows, ("config", "conc ih/iot par", "nodes", "calls/min", "served", "ratio", "wall",
                        "I/O bound", "ratio", f"<={WALL_TARGET}", "nodes/s", "speed-up",
                        f">={SPEEDUP_TARGET:g}x", "client CPU", "peak RSS", "converged"))
    base = (f"baseline: {baseline.sites} sites at parallelism 1: {baseline.nodes} nodes in "
            f"{baseline.seconds:.2f}s = {baseline.throughput:.1f} nodes/s "
            f"({sum(baseline.calls.values())} calls; speed-up compares per-node throughput)")
    binding = "; ".join(f"{r.config}: {r.binding}" for r in results)
    classes = {p: n for r in results[:1] for p, n in sorted(r.minimum.items())}
    out = (f"{main}\n\n{base}\nbinding I/O bound per run: {binding}\n"
           f"minimum calls per platform: {classes}\nevent loop: {event_loop.name()}")
    judged = [r for r in results if r.config == DEFAULT]
    if judged:
        r = judged[0]
        out += (f"\ncold apply calls / minimum on `{DEFAULT}`: {sum(r.calls.values())}/"
                f"{sum(r.minimum.values())} = {r.calls_ratio:.3f} (target <= {CALLS_TARGET}, goal "
                f"{CALLS_GOAL}): {verdict(r.calls_ratio <= CALLS_TARGET)}; goal <= {CALLS_GOAL}: "
                f"{verdict(r.calls_ratio <= CALLS_GOAL)}")
        for p in _fleet.PLATFORMS:
            same = r.estimate.get(p, 0) == r.calls.get(p, 0)
            out += (f"\nestimate / actual calls on {p}: {r.estimate.get(p, 0)}/{r.calls.get(p, 0)} = "
                    f"{r.estimate_ratio(p):.2f} (target 1.00): {verdict(same)}")
        exact = all(r.estimate.get(p, 0) == r.calls.get(p, 0) for p in _fleet.PLATFORMS)
        ok = (r.wall_ratio <= WALL_TARGET and speedup(r, baseline) >= SPEEDUP_TARGET
              and r.calls_ratio <= CALLS_TARGET and r.empty_after and not r.failed and exact)
        converged = "yes" if r.empty_after and not r.failed else "NO"
        out += (f"\ntargets on `{DEFAULT}`: wall {r.wall_ratio:.2f} <= {WALL_TARGET}, speed-up "
                f"{speedup(r, baseline):.1f}x >= {SPEEDUP_TARGET:g}x, calls {r.calls_ratio:.3f} <= "
                f"{CALLS_TARGET}, converged {converged}, estimate exact {'yes' if exact else 'NO'}: "
                f"{verdict(ok)}")
    return out


def _child(spec: str) -> None:
    data = json.loads(spec)
    result = event_loop.run(measure(Config(**data["config"]), data["sites"], data["latency_ms"]))
    print(json.dumps(asdict(result)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--baseline-sites", type=int, default=25)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return 0
    baseline = measure_in_child(Config("parallelism 1", 1, None), args.baseline_sites, args.latency_ms)
    results = [measure_in_child(CONFIGS[name], args.sites, args.latency_ms)
               for name in args.configs.split(",")]
    print(f"Apply speed: {args.sites}-site fleet into an empty `provision sandbox` child process, "
          f"{args.latency_ms:g} ms latency per request; targets judged on `{DEFAULT}`")
    print(report(results, baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
