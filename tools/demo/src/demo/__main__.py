"""python -m demo: load Dacheng's first quarter of 2026 through the HTTP APIs, then show the Q1 report."""
from __future__ import annotations

import argparse
import sys

from demo import enterprises, issues, load, plan, report, units
from demo.api import Api, ApiError


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    p.add_argument("--visits", default="http://127.0.0.1:8001")
    p.add_argument("--issues", default="http://127.0.0.1:8002")
    p.add_argument("--reporting", default="http://127.0.0.1:8003")
    p.add_argument("--township", default="dacheng")
    p.add_argument("--token", help="clerk token (default: dev-dacheng-clerk for dacheng, else dev-county-admin)")
    p.add_argument("--viewer-token", default="dev-county-viewer")
    p.add_argument("--admin-token", default="dev-county-admin", help="registers the units and the routing")
    p.add_argument("--timeout", type=float, default=120, help="seconds to wait for issues and for the report")
    return p.parse_args(argv)


def run(args: argparse.Namespace, say=print) -> dict:
    token = args.token or ("dev-dacheng-clerk" if args.township == "dacheng" else "dev-county-admin")
    api = Api(args.visits, args.issues, args.reporting, args.township, token, args.viewer_token, args.admin_token)
    try:
        say(f"units: {units.register(api)} registered, with the routing of {args.township}")
        listed = enterprises.all_for(args.township)
        planned = plan.visits_for(listed)
        summary = {"officials": load.officials(api)}
        summary["enterprises"], already = load.enterprises(api, listed)
        summary["visits"], visit_ids = load.visits(api, planned)
        say(f"officials +{summary['officials']}, enterprises +{summary['enterprises']} ({already} already registered), "
            f"visits +{summary['visits']} of {len(planned)}")

        demands = {(visit_ids[n], d.description): d for n, v in enumerate(planned) for d in v.demands if not d.spot}
        found = issues.wait_for(api, set(demands), args.timeout)
        totals = {"assigned": 0, "closed": 0, "reopened": 0}
        for k, (natural, demand) in enumerate(sorted(demands.items())):
            for action, n in issues.work(api, found[natural], demand, k, units.unit_ids(args.township)).items():
                totals[action] += n
        summary.update(totals)
        say(f"issues: {len(found)} raised from the visits; this run assigned {totals['assigned']}, "
            f"closed {totals['closed']}, reopened {totals['reopened']}")

        to_close = sum(d.fate in ("close", "late", "reopen") for d in demands.values())
        summary["report"] = report.wait(api, len(planned), len(demands), to_close, args.timeout)
        say(f"report {args.township} {report.PERIOD}:\n{report.show(summary['report'])}")
        return summary
    finally:
        api.close()


def main(argv: list[str] | None = None) -> int:
    try:
        run(parse(argv))
    except (ApiError, TimeoutError, RuntimeError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
