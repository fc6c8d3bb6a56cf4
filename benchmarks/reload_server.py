"""Memory of reloading the service: POST /v1/beheer/herladen N times to a running `grenzen serve`.

    python benchmarks/reload_server.py --times 1000

The service variant of benchmarks/reload.py: each round reloads the policy through the API (a whole new policy
loaded, checked and swapped in; the old one freed) and asks a few cases; the server's RSS (/proc, the process and
its workers) is read after a warm-up and at the end. The growth over the N measured reloads is what matters for a
service that runs for months and reloads its policy whenever the school changes it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from load import Service, cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=1000, help="reloads measured (default 1000)")
    parser.add_argument("--warm-up", type=int, default=10, help="reloads before the baseline (default 10)")
    args = parser.parse_args()
    bodies = [json.dumps(case).encode() for case in cases(5)]
    service = Service(workers=1)
    try:
        start = service.rss_mb()

        def one_round() -> None:
            status, body = service.request("POST", "/v1/beheer/herladen")
            assert status == 200 and json.loads(body)["herladen"], body
            for case in bodies:
                assert service.request("POST", "/v1/advies", case)[0] == 200

        for _ in range(args.warm_up):
            one_round()
        before = service.rss_mb()
        t0 = time.perf_counter()
        for i in range(args.times):
            one_round()
            if (i + 1) % max(1, args.times // 10) == 0:
                print(f"  {i + 1:6d} reloads: RSS {service.rss_mb():8.1f} MB", flush=True)
        after = service.rss_mb()
        elapsed = time.perf_counter() - t0
    finally:
        service.stop()
    print(f"python {sys.version.split()[0]}; {args.times} reloads through POST /v1/beheer/herladen, "
          f"{len(bodies)} advices each, {elapsed / args.times * 1000:.0f} ms per round")
    print(f"server RSS: {start:.1f} MB at start, {before:.1f} MB after {args.warm_up} warm-up reloads, "
          f"{after:.1f} MB after {args.times} reloads")
    growth = after - before
    print(f"growth: {growth:+.1f} MB ({growth * 1024 / args.times:+.1f} KB per reload)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
