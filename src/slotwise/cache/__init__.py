"""The Redis cache engine: the client and its lifecycle (``client``), its connection, breaker
and version writes (``access``), where keys live (``layout``) and the Lua run on them
(``scripts``), the server identity check on every connection (``identity``), the per-process
write lease (``liveness``), key escaping and patterns (``keys``), payload encoding (``codec``),
the ``cached`` / ``invalidate_cache`` decorators (``decorators``), key templates
(``templates``), in-process single-flight (``flight``) and the circuit breaker that makes it
fail open (``breaker``). The consistency model: docs/cache-consistency.md. It knows nothing of
slotwise's entities beyond what is registered with it."""
