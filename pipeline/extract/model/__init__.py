"""The model extractor: the OpenAI-compatible client (`llm`), the chunked extraction and re-read
(`backend`), and the local llama.cpp server with its model files (`local_server`, `model_fetch`).

The only package allowed to import `openai` or `instructor` (an import-linter contract)."""
