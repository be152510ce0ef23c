"""Real-time location of grid workers and their twice-daily patrols (Redis-backed services)."""
