"""Extract stage: facts from a document's text.

`rules/` is the deterministic extractor, `model/` the LLM path (the only package that touches
`openai`/`instructor`). Shared by both: grounding numbers in the text (`ground`), merging chunk
extractions (`merge`) and statements derived from breakdowns (`statements`).
"""
