"""Real-time: the per-process hub over Redis pub/sub and the WebSocket endpoints."""
