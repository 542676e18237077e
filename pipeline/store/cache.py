"""The store's model-side tables: the response cache (`llm_cache`) and the chunks to retry."""

from __future__ import annotations

from pipeline.store.db import Database, utc_now


class CacheQueries(Database):
    """`ResponseCache` of `pipeline.extract.model.backend`, and `chunk_failures`."""

    def get(self, key: str) -> str | None:
        """Cached model response for `key`."""
        rows = self._query("SELECT value FROM llm_cache WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def put(self, key: str, value: str) -> None:
        """Store a model response; committed at once so a killed run keeps what it paid for."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO llm_cache (key, value, created) VALUES (?, ?, ?)",
                (key, value, utc_now()),
            )

    def failed_chunks(self, document_sha: str) -> list[str]:
        """Chunk ids the model failed on last time for this content (to retry only those)."""
        rows = self._query(
            "SELECT chunk_id FROM chunk_failures WHERE document_sha = ? ORDER BY chunk_id", (document_sha,)
        )
        return [str(row[0]) for row in rows]
