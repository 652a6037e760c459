"""The audit log: recording who changed what and reading it back (``records``)."""
