"""``grenzen serve``: its options (argparse only, so the command line never imports FastAPI) and its run.

The options reach the app through the environment (``_settings``), so one worker or N build the same app. With
``--workers N`` uvicorn's supervisor runs the workers; SIGHUP to the supervisor is passed on to every worker, and
each reloads its policy in place (uvicorn's own SIGHUP would restart the workers instead).
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import GrenzenError, os_reason
from ..pipeline._read import MAX_CASE_BYTES
from . import _settings as env

if TYPE_CHECKING:
    from typing import TypeAlias

    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

#: How long a shutdown (SIGTERM, Ctrl-C) waits for requests still running before it ends them: a client that sends
#: its body a byte now and then held a shutdown for good (a trial); a body has 120 s at most (``BODY_TOTAL_SECONDS``)
SHUTDOWN_SECONDS = 30
MISSING_EXTRA = ("grenzen serve heeft de extra pakketten van de server nodig. Installeer ze met:\n"
                 "  pip install 'grenzen[server]'")


def add_serve_command(commands: Commands) -> None:
    """The command ``serve``."""
    serve = commands.add_parser(
        "serve", help="start de adviesdienst (HTTP API en webpagina voor mentoren)",
        description="Start de adviesdienst: de HTTP API onder /v1/ (OpenAPI op /openapi.json) en de webpagina "
                    "voor mentoren op /. Stuur SIGHUP of POST /v1/beheer/herladen om het beleid opnieuw te laden.")
    serve.add_argument("--regels", metavar="MAP", help="map met regelbestanden (standaard: het meegeleverde beleid)")
    serve.add_argument("--host", metavar="ADRES", default="127.0.0.1",
                       help="adres om op te luisteren (standaard 127.0.0.1)")
    serve.add_argument("--port", metavar="POORT", type=int, default=8000, help="poort (standaard 8000)")
    serve.add_argument("--workers", metavar="N", type=int, default=1, help="aantal werkprocessen (standaard 1)")
    serve.add_argument("--token-bestand", metavar="BESTAND",
                       help="bestand met toegangstokens, één per regel (of zet GRENZEN_TOKEN)")
    serve.add_argument("--zonder-token", action="store_true",
                       help="luister op een ander adres dan deze computer zonder token (alleen achter een proxy "
                            "die zelf controleert wie er vraagt)")
    serve.add_argument("--max-grootte", metavar="BYTES", type=int, default=MAX_CASE_BYTES,
                       help=f"hoogste grootte van een verzoek in bytes (standaard {MAX_CASE_BYTES})")
    serve.add_argument("--beslislog", metavar="BESTAND",
                       help="schrijf elke beslissing als één JSON-regel naar BESTAND (standaard: uit)")
    serve.add_argument("--verwerking", metavar="ID", help="id van de verwerkingsactiviteit in het beslislog")
    serve.set_defaults(handler=run_serve)


def check(args: argparse.Namespace) -> tuple[str, ...]:
    """Refuse what must not start: bad numbers, unreadable tokens, another address without a token, a rule file or
    a ``voorbeelden/`` folder given as the rules."""
    from ..cli._commands import folder_not_file

    folder_not_file(getattr(args, "regels", None))
    if not 1 <= args.port <= 65535:
        raise GrenzenError("--port moet tussen 1 en 65535 liggen.")
    if not 1 <= args.workers <= 64:
        raise GrenzenError("--workers moet tussen 1 en 64 liggen.")
    if not 1_000 <= args.max_grootte <= 100_000_000:
        raise GrenzenError("--max-grootte moet tussen 1000 en 100000000 liggen.")
    tokens = env.configured_tokens(args.token_bestand)
    if not tokens and not env.is_loopback(args.host) and not args.zonder_token:
        raise GrenzenError(f"Weigert te luisteren op {args.host} zonder token: dan kan iedereen in het netwerk de API "
                           "(/v1/) gebruiken. Zet GRENZEN_TOKEN of --token-bestand, of start met --zonder-token als "
                           "een proxy ervoor zorgt dat alleen de school erbij kan. De pagina's voor mentoren vragen "
                           "nooit een token: zet daar de inlog van de school voor, in de proxy (docs/integratie.md).")
    return tokens


def refuse_taken(host: str, port: int) -> None:
    """Refuse, in Dutch, an address and port this process cannot listen on (taken, not this computer's, unknown),
    before uvicorn tries and says so in English. uvicorn binds again right after, with the same options."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except socket.gaierror:
            raise GrenzenError(f"Kan niet luisteren op {host}: dat adres is onbekend. Kies een ander met --host.") \
                from None
        except OSError as exc:
            raise GrenzenError(f"Kan niet luisteren op {host} poort {port}: {os_reason(exc)}. "
                               f"{_WHAT_TO_DO.get(exc.errno or 0, _ELSE)}") from None


_WHAT_TO_DO = {
    errno.EADDRINUSE: "Kies een andere poort met --port, of stop het programma dat deze poort gebruikt.",
    errno.EADDRNOTAVAIL: "Kies met --host een adres van deze computer, bijvoorbeeld 127.0.0.1.",
    errno.EACCES: "Kies een poort boven 1023 met --port.",
}
_ELSE = "Kies een ander adres met --host of een andere poort met --port."


def configure(args: argparse.Namespace) -> None:
    """Put the options where every worker reads them."""
    for name, value in ((env.RULES, args.regels), (env.TOKEN_FILE, args.token_bestand),
                        (env.MAX_BYTES, str(args.max_grootte)), (env.DECISION_LOG, args.beslislog),
                        (env.ACTIVITY, args.verwerking), (env.WORKERS, str(args.workers))):
        if value:
            os.environ[name] = str(Path(value).resolve()) if name in (env.RULES, env.TOKEN_FILE, env.DECISION_LOG) \
                else value
        else:
            os.environ.pop(name, None)


def run_serve(args: argparse.Namespace) -> int:
    """``grenzen serve``: check, load the policy once (a broken one stops here, with its problems), then serve."""
    try:
        import uvicorn
    except ImportError:
        print(MISSING_EXTRA, file=sys.stderr)
        return 1
    tokens = check(args)
    refuse_taken(args.host, args.port)
    configure(args)
    from ..pipeline._policy import load_policy

    load_policy(Path(args.regels) if args.regels else None)  # PolicyError: the located problems, exit 1
    if not tokens:  # open to whoever reaches the address: say so once (an integrator trial)
        who = ("alleen wie deze computer gebruikt, kan erbij" if env.is_loopback(args.host) else
               "zorg dat alleen de school dit adres bereikt (--zonder-token)")
        print(f"Let op: de API (/v1/) op {args.host} vraagt geen token; {who} (docs/integratie.md).", file=sys.stderr)
    elif not env.is_loopback(args.host):  # the token guards /v1/ only (an integrator trial read it as the service's)
        print(f"Let op: het token geldt alleen voor de API (/v1/). De webpagina voor mentoren (/) op {args.host} "
              "vraagt geen token: zet hem achter de inlog van de school (bij de proxy), zie docs/integratie.md.",
              file=sys.stderr)
    config = uvicorn.Config("grenzen.server._app:create_app", factory=True, host=args.host, port=args.port,
                            workers=args.workers, http=env.HTTP_PARSER, proxy_headers=False, server_header=False,
                            date_header=True,
                            log_level="info", timeout_graceful_shutdown=SHUTDOWN_SECONDS)
    if args.workers == 1:
        uvicorn.Server(config).run()
        return 0
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        """uvicorn's supervisor, but SIGHUP reloads the policy in every worker instead of restarting them."""

        def handle_hup(self) -> None:
            for process in self.processes:
                if process.pid is not None:
                    os.kill(process.pid, signal.SIGHUP)

    socket = config.bind_socket()
    Supervisor(config, sockets=[socket]).run()
    return 0


