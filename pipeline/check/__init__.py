"""Check stage: the pure arithmetic checker (`run.check`), its exact interval arithmetic (`interval`),
the shared state and flow/sum relations (`flows`) and one module per rule family (`ratios`, `scores`,
`statements`). Imports nothing from extract, store or cli (an import-linter contract)."""
