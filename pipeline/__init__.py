"""recon's stages: ingest → chunk → extract → ground → merge → check → store → report."""
