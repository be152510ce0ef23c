"""Background work: RQ jobs and the clock process that owns everything done at a time."""
