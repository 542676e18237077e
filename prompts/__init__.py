"""Versioned prompt files for the LLM backend, loaded as package data.

A prompt's `version` is its file stem (`extract_v3`); the version and the
sha256 of the text are part of the response cache key, so editing a prompt
file (or adding `extract_v2.md`) never serves answers given to the old one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Prompt:
    """A prompt's text and the identity that goes into cache keys."""

    version: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def cache_identity(self) -> str:
        """Version plus a short content hash: `extract_v3+3f2a9c1b`."""
        return f"{self.version}+{self.sha256[:8]}"


@cache
def load_prompt(version: str) -> Prompt:
    """The prompt `prompts/<version>.md` (raises FileNotFoundError if there is none)."""
    text = resources.files(__package__).joinpath(f"{version}.md").read_text(encoding="utf-8")
    return Prompt(version=version, text=text)


#: The prompt versions the LLM backend currently uses.
EXTRACT_PROMPT_VERSION = "extract_v3"
REREAD_PROMPT_VERSION = "reread_v1"
#: The instruction that closes every user message: small models answer empty lists unless the
#: request itself comes after the chunk (seen with Qwen2.5-Coder-1.5B).
CHUNK_PROMPT_VERSION = "chunk_v1"
#: The candidate-id contract's prompts (`--llm-contract ids`, the default).
EXTRACT_IDS_PROMPT_VERSION = "extract_ids_v2"
REREAD_IDS_PROMPT_VERSION = "reread_ids_v1"


def extract_prompt() -> Prompt:
    return load_prompt(EXTRACT_PROMPT_VERSION)


def reread_prompt() -> Prompt:
    return load_prompt(REREAD_PROMPT_VERSION)


def chunk_prompt() -> Prompt:
    return load_prompt(CHUNK_PROMPT_VERSION)


def extract_ids_prompt() -> Prompt:
    return load_prompt(EXTRACT_IDS_PROMPT_VERSION)


def reread_ids_prompt() -> Prompt:
    return load_prompt(REREAD_IDS_PROMPT_VERSION)
