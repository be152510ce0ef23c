"""The case lifecycle: events reported in the field, routed, handled, verified and closed.

Pure domain first (states, actions, who may do what, clocks, timers, the change each
action makes), then the Redis side (plans applied by one Lua script per transition,
reads and listings) and the service the entry points call.
"""
