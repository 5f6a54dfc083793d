"""A quota-bound apply measured in minutes: the plan's duration estimate against the clock (issue 15).

Applies an N-site fleet (default 500 sites: ~7,500 plan nodes, 6,000 data point mappings) into an
empty `provision sandbox --quota vendor --time-scale S` in a child process, with the clients
pacing themselves by the documented quotas at the same scale (`rate_limits: vendor`,
`quota_time_scale: S`). At the vendor's 1,050 mapping requests an hour the apply takes hours; the
time scale (default 40) makes its quota windows S times shorter, so it runs in minutes. Prints:

- the plan's estimate (its binding bound and endpoint class) and the measured apply duration:
  their ratio must be within 1 +- 0.10;
- failed nodes (must be 0) and the retried requests (a 429 or a 5xx: the clients' own pacing should
  leave none), the calls made against the sandbox's count;
- the progress display's ETA when 25%, 50% and 75% of the nodes are done, against the time the
  apply then really took to finish (error in seconds and as a share of that remaining time).

Run: .venv/bin/python benchmarks/bench_quota_apply.py [--sites N] [--time-scale S] [--latency-ms MS]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import _fleet
from _fleet import ratio, table, verdict

from provisioner import event_loop
from provisioner.apply.events import ApplyEvent
from provisioner.apply.progress import ProgressReporter, clock_text
from provisioner.config import load_project
from provisioner.pipeline import DEFAULT_PARALLELISM, ApplyOptions, apply_plan
from provisioner.session import make_plan, open_session

DURATION_TOLERANCE = 0.10
MARKS = (0.25, 0.50, 0.75)
QUOTA_ENV = "bench-quota"


@dataclass
class EtaMark:
    share: float
    elapsed: float
    eta: float
    actual: float = 0.0

    @property
    def error(self) -> float:
        return self.eta - self.actual


@dataclass
class Run:
    sites: int
    time_scale: float
    nodes: int
    estimate_s: float
    binding: str
    unscaled_quota_s: float
    seconds: float
    failed: int
    calls: int
    served: int
    throttled: int
    waits_said: int
    marks: list[EtaMark] = field(default_factory=list)

    @property
    def duration_ratio(self) -> float:
        return ratio(self.seconds, self.estimate_s)


async def measure(sites: int, time_scale: float, latency_ms: float, parallelism: int) -> Run:
    with tempfile.TemporaryDirectory() as tmp:
        root = _fleet.make_fleet(Path(tmp), sites)
        flags = ("--quota", "vendor", "--time-scale", f"{time_scale:g}")
        with _fleet.SandboxProcess(latency_ms=latency_ms, extra_args=flags) as server:
            scale: int | str = int(time_scale) if float(time_scale).is_integer() else str(time_scale)
            _fleet.load_fleet(root)  # sets the demo credentials
            _fleet.write_overlay(root, QUOTA_ENV, {
                "insights_hub": {"gateway": server.url, "rate_limits": "vendor", "quota_time_scale": scale},
                "itwin_iot": {"url": server.url, "rate_limits": "vendor", "quota_time_scale": scale},
            })
            project = load_project(root, env=QUOTA_ENV)
            async with open_session(project.config) as session:
                plan, live = await make_plan(session)
                est = plan.estimate
                nodes = len(plan.graph())
                server.counts(reset=True)
                stream = io.StringIO()
                progress = ProgressReporter(nodes, stream=stream, tty=False, estimate=est)
                marks: list[EtaMark] = []
                started = time.monotonic()

                def listen(event: ApplyEvent) -> None:
                    progress.on_event(event)
                    while len(marks) < len(MARKS) and progress.completed >= MARKS[len(marks)] * nodes:
                        eta = progress.eta_seconds()
                        marks.append(EtaMark(MARKS[len(marks)], time.monotonic() - started, eta or 0.0))

                session.observe_quotas(progress)
                before = _fleet.calls_by_class(session)
                with progress:
                    options = ApplyOptions(parallelism=parallelism, force=True)
                    report = await apply_plan(session, plan, options, live=live, on_event=listen)
                seconds = time.monotonic() - started
                made = _fleet.delta(_fleet.calls_by_class(session), before)
                retried = sum(sum(c.stats.retries.values()) for c in (session.hub, session.itwin)
                              if c is not None)
            served = int(server.counts()["total"])
    for mark in marks:
        mark.actual = seconds - mark.elapsed
    binding = est.binding_class or ("critical path" if est.critical_path_seconds >= est.throughput_seconds
                                    else "throughput")
    unscaled = est.class_quota_seconds(est.binding_class) * est.quota_scale.get(est.binding_class, 1.0) \
        if est.binding_class else 0.0
    waits = stream.getvalue().count("waiting for quota:")
    return Run(sites, time_scale, nodes, est.seconds, binding, unscaled, seconds, len(report.failed),
               sum(made.values()), served, retried, waits, marks)


def report(run: Run) -> str:
    within = abs(run.duration_ratio - 1) <= DURATION_TOLERANCE
    main = table([(
        run.sites, f"{run.time_scale:g}x", run.nodes, run.binding,
        f"{run.unscaled_quota_s / 3600:.2f}h", f"{run.estimate_s:.1f}s", f"{run.seconds:.1f}s",
        f"{run.duration_ratio:.3f}", verdict(within), run.failed, verdict(run.failed == 0),
        run.throttled, f"{run.calls}/{run.served}",
    )], ("sites", "time scale", "nodes", "binding quota", "real-time quota", "estimate", "measured",
         "measured/estimate", f"1+-{DURATION_TOLERANCE:g}", "failed", "=0", "retries", "calls/served"))
    etas = table([(
        f"{m.share:.0%}", f"{m.elapsed:.1f}s", clock_text(m.eta), f"{m.eta:.1f}s", f"{m.actual:.1f}s",
        f"{m.error:+.1f}s", f"{ratio(m.error, m.actual):+.1%}",
    ) for m in run.marks], ("done", "at", "ETA shown", "ETA", "really left", "error", "error/left"))
    ok = within and run.failed == 0
    return (f"{main}\n\nprogress ETA (the quota model) against the time really left:\n{etas}\n"
            f"'waiting for quota' notices printed: {run.waits_said}\n"
            f"targets: measured/estimate {run.duration_ratio:.3f} within 1+-{DURATION_TOLERANCE:g}, "
            f"failed {run.failed} = 0: {verdict(ok)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--time-scale", type=float, default=40.0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, default=DEFAULT_PARALLELISM)
    args = parser.parse_args(argv)
    run = event_loop.run(measure(args.sites, args.time_scale, args.latency_ms, args.parallelism))
    print(f"Quota-bound apply: {args.sites}-site fleet into an empty `provision sandbox --quota vendor "
          f"--time-scale {args.time_scale:g}` child process, {args.latency_ms:g} ms latency per request, "
          f"clients pacing by the documented quotas at the same scale")
    print(report(run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
