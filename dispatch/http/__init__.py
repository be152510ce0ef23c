"""HTTP entry points: thin handlers that turn a request into a service call."""
