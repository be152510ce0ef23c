"""The HTTP API's shapes, as msgspec models: request bodies, query parameters, responses.

One module per area; :mod:`dispatch.http.typed` explains how a route declares its models.
Request models ignore unknown fields (clients may send more than we read); response models
list what the server answers (it may add fields: the contract only grows).
"""
