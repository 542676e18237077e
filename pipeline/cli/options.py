"""What several `recon` commands share: the `--db` and `--document` options, `--version`, `--lang`.

One definition each, so every `--help` states the same default and every
`--document` matches names the same way: the exact file name, else a unique
prefix, else a unique substring; otherwise a `ConfigError` that lists the
candidates (ambiguous) or the nearest names (no match).
"""

from __future__ import annotations

import difflib
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated

import typer

from pipeline.errors import ConfigError
from pipeline.i18n import phrase
from pipeline.settings import HOME_DEFAULT, Lang, help_default
from pipeline.store import Store

#: The `--db` help of every command that opens the database.
DB_HELP = f"SQLite database ({help_default('RECON_DB')})."
DbOption = Annotated[Path | None, typer.Option("--db", help=DB_HELP, show_default=False)]

DocumentOption = Annotated[
    str | None,
    typer.Option(
        "--document",
        help="only this document: its path in the input folder as `recon run` shows it (the file name "
        "for a file at the top), or a unique prefix or part of it",
    ),
]

#: Where files that are not per-document results (exports, reports) go by default.
HOME_HELP = f"$RECON_HOME ({HOME_DEFAULT} unless set)"

#: How many candidates or near names a `--document` error lists.
_SHOWN = 8


def recon_version() -> str:
    """The installed distribution's version (`unknown` when recon runs from an uninstalled tree)."""
    try:
        return version("recon")
    except PackageNotFoundError:
        return "unknown"


def version_callback(value: bool) -> None:
    """`--version`: print `recon <version>` and exit 0."""
    if value:
        typer.echo(f"recon {recon_version()}")
        raise typer.Exit()


def match_document(names: list[str], query: str) -> str:
    """The one name in `names` that `query` designates: exact, else a unique prefix, else a unique part."""
    if query in names:
        return query
    for kind, found in (
        ("config.document_start", [name for name in names if name.startswith(query)]),
        ("config.document_contain", [name for name in names if query in name]),
    ):
        if len(found) == 1:
            return found[0]
        if found:
            listed = ", ".join(sorted(found)[:_SHOWN]) + (" …" if len(found) > _SHOWN else "")
            ambiguous = phrase(
                "config.document_ambiguous", query=repr(query), count=len(found), how_key=kind, listed=listed
            )
            raise ConfigError(ambiguous)
    near = near_names(names, query)
    if not names:
        hint = phrase("config.document_empty", query=repr(query))
    elif near:
        hint = phrase("config.document_near", query=repr(query), names=", ".join(near))
    else:
        listed = ", ".join(sorted(names)[:_SHOWN]) + (" …" if len(names) > _SHOWN else "")
        hint = phrase("config.document_list", query=repr(query), names=listed)
    raise ConfigError(hint.within("config.document_none"))


def near_names(names: list[str], query: str, cutoff: float = 0.6) -> list[str]:
    """Names like `query`, best first: compared whole and by their first `len(query)` characters."""

    def likeness(name: str) -> float:
        whole = difflib.SequenceMatcher(None, query, name).ratio()
        head = difflib.SequenceMatcher(None, query, name[: len(query)]).ratio()
        return max(whole, head)

    scored = sorted(((likeness(name), name) for name in names), key=lambda pair: (-pair[0], pair[1]))
    if not scored:
        return []
    floor = max(cutoff, scored[0][0] - 0.1)  # the best and those about as good, not every weak one
    return [name for score, name in scored[:_SHOWN] if score >= floor]


def resolve_document(store: Store, query: str | None) -> str | None:
    """The stored document name `--document query` designates (None when not given)."""
    if query is None:
        return None
    return match_document(sorted({document.name for document in store.documents()}), query)


#: `recon --lang en …`: the language of what the commands print (over $RECON_LANG).
LANG_HELP = f"Language of messages and tables: zh (简体中文) or en ({help_default('RECON_LANG')})."
LangOption = Annotated[Lang | None, typer.Option("--lang", help=LANG_HELP, show_default=False)]


#: `--lang` of the current invocation, set by the app callback before the command runs.
_lang_flag: list[Lang | None] = [None]


def set_lang_flag(lang: Lang | None) -> None:
    """Record `recon --lang …` (None: not given) for `current_lang`."""
    _lang_flag[0] = lang


def lang_flag() -> Lang | None:
    """`recon --lang …` of this invocation, or None."""
    return _lang_flag[0]


def current_lang() -> Lang:
    """The language of this invocation: `--lang`, else $RECON_LANG, else Chinese.

    Read apart from the other settings, so an error about a bad setting is still
    printed in the chosen language (a bad $RECON_LANG itself gives Chinese here;
    the command's settings then report it).
    """
    flag = lang_flag()
    if flag is not None:
        return flag
    return "en" if os.environ.get("RECON_LANG") == "en" else "zh"
