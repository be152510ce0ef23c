"""Citizens: Open311 GeoReport v2 requests, API keys, ratings by token."""
