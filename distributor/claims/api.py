"""The read-only proof API (`epochdrop serve`): FastAPI over a Catalog of claims indexes.

Two kinds of answer (D24). Epoch data (roots, claims, proofs) never changes once built, so
it carries a content ETag and `Cache-Control: public, max-age=31536000, immutable`; a
matching `If-None-Match` gets 304. What an account has already claimed lives on chain, so
`…/claimable` and `/v1/accounts/{account}` are `no-store` and read the contract when an RPC is
configured. Errors are JSON `{"error": code, "message": text}`: 400 for text that is not an
account, 404 for an unknown program, epoch or account.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from distributor.claims import render
from distributor.claims.accounts import BadAccount, mixed_case, parse_account
from distributor.claims.chain import ChainError, ClaimedReader
from distributor.claims.epochs import Catalog, Epoch
from epochdrop import __version__

PAGE = Path(__file__).resolve().parent / "page" / "index.html"
IMMUTABLE = "public, max-age=31536000, immutable"
LISTING = "public, max-age=60"
LIVE = "no-store"
JSON = "application/json"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message


def _json(body: bytes, cache: str, request: Request | None = None, status: int = 200) -> Response:
    headers = {"Cache-Control": cache}
    if cache != LIVE:
        tag = render.etag(body)
        headers["ETag"] = tag
        if request is not None and request.headers.get("if-none-match") == tag:
            return Response(status_code=304, headers=headers)
    return Response(content=body, status_code=status, media_type=JSON, headers=headers)


class ClaimFastPath:
    """ASGI shortcut for the one hot request, GET …/epochs/{epoch}/claims/{account}.

    FastAPI's routing, dependency and response machinery costs several times the lookup
    itself; front-ends hit this path for every wallet they show. When the account parses and
    has a claim, the body, ETag and cache headers are sent from here (the same bytes and
    headers the declared route produces: `test_serve` checks both); anything else (bad or
    unknown account, other paths, 304s) goes on to FastAPI so errors come from one place.
    CORS wraps this middleware, so its headers are added as for every route.
    """

    def __init__(self, app, catalog: Catalog):
        self.app, self.catalog = app, catalog

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET":
            parts = scope["path"].split("/")
            # ['', 'v1', 'programs', p, 'epochs', e, 'claims', account]
            if (len(parts) == 8 and parts[1] == "v1" and parts[2] == "programs"
                    and parts[4] == "epochs" and parts[6] == "claims"):
                ep = self.catalog.programs.get(parts[3], {}).get(parts[5])
                if (ep is not None and ep.index is not None and not ep.index.multi
                        and not _has_if_none_match(scope)):
                    text = parts[7]
                    try:
                        k = parse_account(text, ep.kind_, check=False)
                    except BadAccount:
                        k = None
                    c = ep.index.get(k) if k is not None else None
                    # Stored accounts are EIP-55 (D1): a checksummed spelling must equal it.
                    if c is not None and (ep.kind_ != "address" or not mixed_case(text)
                                          or c.account == text):
                        body = render.claim_body(ep.claim_head, c)
                        await send({"type": "http.response.start", "status": 200, "headers": [
                            (b"content-length", str(len(body)).encode()),
                            (b"content-type", b"application/json"),
                            (b"cache-control", IMMUTABLE.encode()),
                            (b"etag", render.etag(body).encode())]})
                        await send({"type": "http.response.body", "body": body})
                        return
        await self.app(scope, receive, send)


def _has_if_none_match(scope) -> bool:
    return any(k == b"if-none-match" for k, _ in scope["headers"])


def create_app(catalog: Catalog, *, cors_origins: list[str] | None = None,
               reader: ClaimedReader | None = None) -> FastAPI:
    if reader is not None:
        # A program paid by a CumulativeMerkleDistributor is cumulative even while it has
        # only a first epoch (built without --previous, so its manifest cannot say so).
        for program in reader.contracts:
            for ep in catalog.epochs(program):
                ep.cumulative = True
    app = FastAPI(title="epochdrop proof API", version=__version__,
                  description="Roots, amounts and Merkle proofs of reward epochs. Amounts are "
                              "decimal strings in base units. Epoch data is immutable.")
    app.add_middleware(ClaimFastPath, catalog=catalog)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["GET"],
                           allow_headers=["*"], expose_headers=["ETag"])

    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError):
        return _json(render.dumps({"error": exc.code, "message": exc.message}), LIVE,
                     status=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_req: Request, exc: StarletteHTTPException):
        code = "not_found" if exc.status_code == 404 else "http_error"
        return _json(render.dumps({"error": code, "message": str(exc.detail)}), LIVE,
                     status=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError):
        return _json(render.dumps({"error": "bad_request", "message": str(exc.errors()[:1])}),
                     LIVE, status=400)

    @app.exception_handler(ChainError)
    async def _chain(_req: Request, exc: ChainError):
        return _json(render.dumps({"error": "rpc_error", "message": str(exc)}), LIVE, status=502)

    def program_epochs(program: str) -> list[Epoch]:
        eps = catalog.epochs(program)
        if not eps:
            raise ApiError(404, "unknown_program", f"no program {program!r}; see /v1/programs")
        return eps

    def get_epoch(program: str, epoch: str) -> Epoch:
        program_epochs(program)
        ep = catalog.programs[program].get(epoch)
        if ep is None:
            raise ApiError(404, "unknown_epoch", f"program {program!r} has no epoch {epoch!r}; "
                                                 f"see /v1/programs/{program}")
        return ep

    def key(ep: Epoch, account: str) -> bytes:
        try:
            return parse_account(account, ep.kind_)
        except BadAccount as exc:
            raise ApiError(400, "invalid_account", str(exc)) from None

    @app.get("/claim", include_in_schema=False)
    async def claim_page():
        """The reference claim page, same-origin with the API."""
        return Response(content=PAGE.read_bytes(), media_type="text/html",
                        headers={"Cache-Control": LISTING})

    @app.get("/health", tags=["meta"])
    async def health():
        """Liveness: how many programs, epochs and claims this process serves."""
        eps = catalog.all()
        return _json(render.dumps({"status": "ok", "version": __version__,
                                   "programs": len(catalog.programs), "epochs": len(eps),
                                   "claims": sum(e.index.n for e in eps if e.index)}), LIVE)

    @app.get("/v1/programs", tags=["epochs"])
    async def programs(request: Request):
        """Every program with its epoch labels (oldest first) and whether it is cumulative."""
        return _json(render.dumps(catalog.listing()), LISTING, request)

    @app.get("/v1/programs/{program}", tags=["epochs"])
    async def program(program: str, request: Request):
        """One program's epochs with their roots, totals and expiry."""
        eps = program_epochs(program)
        return _json(render.dumps({"format": "epochdrop-program-v1", "program": program,
                                   "epochs": [e.info() for e in eps]}), LISTING, request)

    @app.get("/v1/programs/{program}/epochs/{epoch}", tags=["epochs"])
    async def epoch_info(program: str, epoch: str, request: Request):
        """An epoch's root, scheme, token, chain, totals and expiry (immutable)."""
        return _json(render.dumps(get_epoch(program, epoch).info()), IMMUTABLE, request)

    @app.get("/v1/programs/{program}/epochs/{epoch}/claims/{account}", tags=["claims"])
    async def claim(program: str, epoch: str, account: str, request: Request):
        """One account's amount, index and proof in one epoch (the D6 claim shape)."""
        ep = get_epoch(program, epoch)
        if ep.index is None:
            raise ApiError(404, "no_tree", f"{program} epoch {epoch} has no tree "
                                           f"({ep.manifest.tree_note or 'no root'}): no claims")
        found = ep.index.get_all(key(ep, account))
        if not found:
            raise ApiError(404, "no_claim", f"{account} has no claim in {program} epoch {epoch}")
        body = (render.claims_body(ep.claim_head, found) if ep.index.multi
                else render.claim_body(ep.claim_head, found[0]))
        return _json(body, IMMUTABLE, request)

    @app.get("/v1/programs/{program}/claims/{account}", tags=["claims"])
    async def claims_all_epochs(program: str, account: str, request: Request):
        """The account's claim in every epoch of the program that has one."""
        eps = program_epochs(program)
        k = key(eps[0], account)
        found = [{"epoch": e.epoch, "root": e.manifest.root, "claim": render.claim_obj(c)}
                 for e in eps if e.index is not None and (c := e.index.get(k)) is not None]
        if not found:
            raise ApiError(404, "no_claim", f"{account} has no claim in program {program}")
        # Not immutable: a new epoch of the program adds an entry.
        return _json(render.dumps({"format": "epochdrop-account-claims-v1", "program": program,
                                   "account": found[-1]["claim"]["account"],
                                   "epochs": found}), LISTING, request)

    async def cumulative_status(ep: Epoch, k: bytes, account: str) -> dict:
        c = ep.index.get(k) if ep.index is not None else None
        cumulative = 0 if c is None else int(c.amount)
        claimed = await reader.claimed(ep.program, k) if reader is not None else None
        return {"program": ep.program, "epoch": ep.epoch, "root": ep.manifest.root,
                "account": c.account if c else account,
                "contract": reader.contract_for(ep.program) if reader else None,
                "cumulative": str(cumulative),
                "claimed": None if claimed is None else str(claimed),
                "claimable": None if claimed is None else str(max(cumulative - claimed, 0)),
                "claim": render.claim_obj(c) if c else None}

    @app.get("/v1/programs/{program}/claimable/{account}", tags=["live"])
    async def claimable(program: str, account: str):
        """Cumulative programs: `cumulative` (all-time total in the latest root), `claimed`
        (read from the distributor contract; null without --rpc/--contract) and `claimable`
        (their difference). Never cached."""
        ep = catalog.latest(program) or program_epochs(program)[-1]
        if not ep.cumulative:
            raise ApiError(404, "not_cumulative", f"program {program!r} is per-epoch; use "
                                                  f"/v1/programs/{program}/claims/{account}")
        k = key(ep, account)
        status = await cumulative_status(ep, k, account)
        if status["claim"] is None:
            raise ApiError(404, "no_claim", f"{account} has no claim in program {program}")
        return _json(render.dumps(status), LIVE)

    @app.get("/v1/accounts/{account}", tags=["live"])
    async def eligible(account: str):
        """Every epoch the account can still claim, across programs: the latest root of each
        cumulative program (with cumulative/claimed/claimable; left out when nothing is left
        to claim) and each per-epoch epoch that holds a claim. Never cached."""
        out, valid = [], False
        for p in sorted(catalog.programs):
            eps = catalog.epochs(p)
            try:
                k = parse_account(account, eps[0].kind_)
            except BadAccount:
                continue
            valid = True
            if eps[-1].cumulative:
                st = await cumulative_status(eps[-1], k, account)
                if st["claim"] is not None and st["claimable"] != "0":
                    out.append({"kind": "cumulative", **st})
                continue
            for e in eps:
                if e.index is not None and (c := e.index.get(k)) is not None:
                    out.append({"kind": "per_epoch", "program": p, "epoch": e.epoch,
                                "root": e.manifest.root, "claim": render.claim_obj(c)})
        if not valid:
            raise ApiError(400, "invalid_account", f"{account[:80]!r} is not an account of any "
                                                   "served program")
        return _json(render.dumps({"format": "epochdrop-eligible-v1", "account": account,
                                   "eligible": out}), LIVE)

    if reader is not None:
        app.router.on_shutdown.append(reader.aclose)
    return app
