"""`python -m pipeline.cli`: the same as the `recon` console script."""

from pipeline.cli.main import app

app()
