"""The audit log: recording who changed what (``records``) and reading it back (``log``)."""
