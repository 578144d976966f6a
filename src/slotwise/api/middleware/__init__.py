"""Pure-ASGI middleware (cheaper than BaseHTTPMiddleware and safe for streaming responses)."""
