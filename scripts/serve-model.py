"""Serves one GGUF model with llama.cpp's own HTTP server (xllamacpp, in-process) on 127.0.0.1.

Prints the OpenAI base URL (http://127.0.0.1:PORT/v1) on stdout once /health answers, then runs until
SIGTERM or SIGINT. Started by `scripts/model.sh serve`; llama.cpp's log goes to stderr.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.request

import xllamacpp


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", required=True, help="the GGUF file")
    ap.add_argument("--alias", required=True, help="the model name /v1/models reports")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--threads", type=int, default=1, help="one is fastest on a shared 2-core machine")
    ap.add_argument("--ctx", type=int, default=4096, help="context size in tokens")
    ap.add_argument("--health-timeout", type=float, default=120.0)
    ap.add_argument("--exit-with-parent", action="store_true", help="stop when the process that started it is gone (tests)")
    args = ap.parse_args()

    parent = os.getppid()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.n_ctx = args.ctx
    params.n_parallel = 1  # one slot: the whole context for one request at a time
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.ui = False

    started = time.monotonic()
    server = xllamacpp.Server(params)
    address = server.listening_address
    deadline = started + args.health_timeout
    while True:
        try:
            with urllib.request.urlopen(f"{address}/health", timeout=5) as r:
                if json.load(r).get("status") == "ok":
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or stop.is_set():
            print(f"serve-model: {address}/health did not answer ok within {args.health_timeout:.0f}s", file=sys.stderr)
            return 1
        time.sleep(0.2)
    print(f"serve-model: {args.alias} loaded in {time.monotonic() - started:.1f}s on {address}", file=sys.stderr, flush=True)
    print(f"{address}/v1", flush=True)

    # A test runner killed outright cannot stop its server: with --exit-with-parent, being re-parented stops it.
    while not stop.wait(1.0):
        if args.exit_with_parent and os.getppid() != parent:
            break
    # The server's native threads do not stop on their own; leave without waiting for them.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
