"""The Redis cache engine: client and connection lifecycle (``client``), key escaping and
namespace versions (``keys``), payload encoding (``codec``), the ``cached`` /
``invalidate_cache`` decorators (``decorators``), key templates (``templates``), in-process
single-flight (``flight``) and the circuit breaker that makes it fail open (``breaker``).
It knows nothing of slotwise's entities beyond what is registered with it."""
