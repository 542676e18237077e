"""The `recon` command line (`main`) and its command groups (`eval`, `model`, `review`).

`app` is re-exported so that the console-script entry point `pipeline.cli:app` of an existing
install keeps working; `python -m pipeline.cli` runs `__main__`.
"""

from pipeline.cli.main import app

__all__ = ["app"]
