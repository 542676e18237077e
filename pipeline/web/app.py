"""`recon serve`'s FastAPI app: server-rendered pages over the store, decisions through htmx.

Pages: flags (filters and counts), one flag (arithmetic, highlighted source passages,
Confirm / Dismiss / Reopen with a note), one document (projects, indicators, breakdowns,
coverage, its flags, its text with every number anchored), runs. A decision goes through
`pipeline.review.review.record_decision`, the code path of `recon review`; an htmx
request gets back only the decision panel.

Templates are Jinja2 with autoescaping on, so document text (`<script>`, quotes) is
shown, never run. htmx is the vendored file `static/htmx.min.js` (htmx.org 1.9.12,
0BSD): no CDN, no build step. With a token, every request must carry it: `?token=`
(then kept in an HttpOnly cookie), the cookie, or `Authorization: Bearer`.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from pipeline.i18n import LANGS, fact_name, rule_name, severity_name, status_name, text
from pipeline.review.flagtext import describe_subject, flag_message, format_number, skipped_reason
from pipeline.review.review import (
    FlagFilter,
    FlagNotFoundError,
    load_source,
    record_decision,
    relevant_skipped,
    show_flag,
)
from pipeline.review.runs import duration_text, list_runs
from pipeline.settings import Lang
from pipeline.store import Store
from schemas import Flag, Span
from schemas.flags import Rule, Severity
from schemas.stored import FlagStatus, StoredFlag

HERE = Path(__file__).resolve().parent
TOKEN_COOKIE = "recon_token"
LANG_COOKIE = "recon_lang"
#: Characters of context around each number on the flag page.
PAGE_CONTEXT = 80

_ACTIONS = {"confirm": FlagStatus.CONFIRMED, "dismiss": FlagStatus.DISMISSED, "reopen": FlagStatus.OPEN}


@dataclass(frozen=True)
class Segment:
    """A piece of text to render; `anchor` is set on a highlighted number (its span start)."""

    text: str
    anchor: int | None = None


def segments(text_: str, offset: int, highlights: list[tuple[int, int]]) -> list[Segment]:
    """`text_` cut into plain and highlighted pieces; `offset` is where `text_` starts in the document."""
    pieces: list[Segment] = []
    position = 0
    for start, end in sorted(highlights):
        if start < position or end > len(text_):
            continue
        if start > position:
            pieces.append(Segment(text_[position:start]))
        pieces.append(Segment(text_[start:end], offset + start))
        position = end
    if position < len(text_):
        pieces.append(Segment(text_[position:]))
    return pieces


class _TokenMiddleware(BaseHTTPMiddleware):
    """Every request must carry the token (query, cookie or bearer header)."""

    def __init__(self, app: Any, token: str) -> None:
        super().__init__(app)
        self._token = token

    def _given(self, request: Request) -> tuple[str | None, bool]:
        query = request.query_params.get("token")
        if query is not None:
            return query, True
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip(), False
        return request.cookies.get(TOKEN_COOKIE), False

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        given, from_query = self._given(request)
        if given is None or not secrets.compare_digest(given.encode(), self._token.encode()):
            lang = _lang_of(request, "zh")
            return PlainTextResponse(text("serve.unauthorized", lang), status_code=401)
        response = await call_next(request)
        if from_query:
            response.set_cookie(TOKEN_COOKIE, self._token, httponly=True, samesite="strict")
        return response


def _lang_of(request: Request, default: Lang) -> Lang:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return "en" if chosen == "en" else "zh" if chosen == "zh" else default


def _enum_or_none(kind: Callable[[str], Any], value: str | None) -> Any:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        return None


def create_app(db_path: Path, *, token: str | None = None, lang: Lang = "zh") -> FastAPI:
    """The app over the store at `db_path` (opened per request); `lang` is the default language."""
    app = FastAPI(title="recon", docs_url=None, redoc_url=None, openapi_url=None)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    templates = Jinja2Templates(env=environment)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if token:
        app.add_middleware(_TokenMiddleware, token=token)

    @contextmanager
    def store() -> Iterator[Store]:
        with Store(db_path) as opened:
            yield opened

    def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        page_lang = _lang_of(request, lang)
        other: Lang = "en" if page_lang == "zh" else "zh"

        def t(key: str, **values: object) -> str:
            return text(key, page_lang, **values)

        base = {
            "t": t,
            "lang": page_lang,
            "other_lang": other,
            "lang_url": str(request.url.include_query_params(lang=other)),
            "severity_name": lambda s: severity_name(s, page_lang),
            "status_name": lambda s: status_name(s, page_lang),
            "rule_name": lambda r: rule_name(r, page_lang),
            "fact_name": lambda k: fact_name(k, page_lang),
            "number": format_number,
            "skipped_reason": lambda s: skipped_reason(s, page_lang),
        }
        response = templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
        if request.query_params.get("lang") in LANGS:
            response.set_cookie(LANG_COOKIE, page_lang, samesite="strict")
        return response

    @app.exception_handler(FlagNotFoundError)
    async def _missing_flag(request: Request, exc: FlagNotFoundError) -> HTMLResponse:
        return render(
            request,
            "error.html",
            404,
            message=text("flag.not_found", _lang_of(request, lang), id=exc.flag_id),
        )

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/flags", status_code=303)

    @app.get("/flags", response_class=HTMLResponse)
    def flags_page(
        request: Request,
        rule: str | None = None,
        severity: str | None = None,
        document: str | None = None,
        status: str | None = "open",
    ) -> HTMLResponse:
        chosen_rule = _enum_or_none(Rule, rule)
        chosen_severity = _enum_or_none(Severity, severity)
        chosen_status = _enum_or_none(FlagStatus, status)
        with store() as opened:
            latest = opened.latest_run_id()
            base_filter = FlagFilter(severity=chosen_severity, document=document or None)
            every = opened.flags(base_filter)
            documents = sorted({d.name for d in opened.documents()})
            conn_details = opened.flag_details()
        by_rule = Counter(f.rule for f in every if chosen_status is None or f.status is chosen_status)
        by_status = Counter(f.status for f in every if chosen_rule is None or f.rule is chosen_rule)
        shown = [
            f
            for f in every
            if (chosen_rule is None or f.rule is chosen_rule)
            and (chosen_status is None or f.status is chosen_status)
        ]
        shown.sort(key=lambda f: 0 if latest is not None and latest in (f.run_id, f.first_run) else 1)
        params = {
            "rule": rule or "",
            "severity": severity or "",
            "document": document or "",
            "status": status or "",
        }

        def link(**change: str) -> str:
            return "/flags?" + urlencode({**params, **change})

        return render(
            request,
            "flags.html",
            flags=shown,
            messages=_messages(conn_details, shown, _lang_of(request, lang)),
            by_rule=[(r, by_rule[r]) for r in Rule if by_rule[r]],
            by_status=[(s, by_status[s]) for s in FlagStatus],
            rules=list(Rule),
            severities=list(Severity),
            statuses=list(FlagStatus),
            documents=documents,
            params=params,
            link=link,
            latest=latest,
        )

    def _flag_context(request: Request, flag_id: int) -> dict[str, Any]:
        page_lang = _lang_of(request, lang)
        with store() as opened:
            view = show_flag(opened, flag_id, radius=PAGE_CONTEXT)
        message = flag_message(view.detail, page_lang, view.subject) if view.detail else view.flag.message
        problem = view.source_problem_in(page_lang)
        return {
            "view": view,
            "flag": view.flag,
            "message": message,
            "problem": problem,
            "passages": [(p, segments(p.text, p.start, p.highlights)) for p in view.passages],
            "skipped": relevant_skipped(view),
        }

    @app.get("/flags/{flag_id}", response_class=HTMLResponse)
    def flag_page(request: Request, flag_id: int) -> HTMLResponse:
        return render(request, "flag.html", **_flag_context(request, flag_id))

    @app.post("/flags/{flag_id}/decision", response_model=None)
    def decide(request: Request, flag_id: int, action: str = Form(...), note: str = Form("")) -> Response:
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.url.netloc:
            return PlainTextResponse("cross-origin request refused", status_code=403)
        status = _ACTIONS.get(action)
        if status is None:
            return PlainTextResponse(f"unknown action {action!r}", status_code=400)
        with store() as opened:
            record_decision(opened, flag_id, status, note=note.strip() or None)
        if request.headers.get("hx-request") == "true":
            return render(request, "_decision.html", saved=True, **_flag_context(request, flag_id))
        return RedirectResponse(f"/flags/{flag_id}", status_code=303)

    @app.get("/documents/{name}", response_class=HTMLResponse)
    def document_page(request: Request, name: str) -> HTMLResponse:
        with store() as opened:
            stored = next((d for d in opened.documents() if d.name == name), None)
            if stored is None:
                return render(
                    request, "error.html", 404, message=text("serve.not_found", _lang_of(request, lang))
                )
            result = opened.document_result(stored.path)
            flags = opened.flags(FlagFilter(document=name))
        source = load_source(stored.path, result.sha256 if result is not None else None)
        extraction = result.extraction if result is not None else None
        spans: list[Span] = []
        if extraction is not None:
            for project in extraction.projects:
                spans += [n.span for numbers in project.facts.values() for n in numbers]
            for indicator in extraction.indicators:
                spans += [
                    n.span for n in (indicator.target, indicator.actual, indicator.rate) if n is not None
                ]
            for breakdown in extraction.breakdowns:
                spans += [breakdown.total.amount.span, *(p.amount.span for p in breakdown.parts)]
        for flag in flags:
            spans += flag.spans
        highlights = sorted({(s.start, s.end) for s in spans if s.end > s.start})
        body = segments(source.text, 0, _disjoint(highlights)) if source.text is not None else []
        children: dict[str | None, list[Any]] = {}
        if extraction is not None:
            names = {p.name for p in extraction.projects}
            for project in extraction.projects:
                parent = project.parent if project.parent in names else None
                children.setdefault(parent, []).append(project)
        coverage = extraction.coverage if extraction is not None else None
        return render(
            request,
            "document.html",
            name=name,
            stored=stored,
            result=result,
            extraction=extraction,
            children=children,
            coverage=coverage,
            flags=flags,
            subjects={f.id: describe_subject(f.subject, source.text, f.spans) for f in flags},
            body=body,
            problem=source.problem_in(_lang_of(request, lang)),
        )

    @app.get("/runs", response_class=HTMLResponse)
    def runs_page(request: Request) -> HTMLResponse:
        with store() as opened:
            runs = list_runs(opened)
        return render(request, "runs.html", runs=runs, duration=duration_text)

    return app


def _messages(details: dict[int, Flag], flags: list[StoredFlag], lang: Lang) -> dict[int, str]:
    """Each flag's message in `lang` (its stored message when the details are missing)."""
    return {f.id: flag_message(details[f.id], lang) if f.id in details else f.message for f in flags}


def _disjoint(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans without overlaps (a later span overlapping an earlier one is dropped)."""
    kept: list[tuple[int, int]] = []
    for start, end in spans:
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end))
    return kept
