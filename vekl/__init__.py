"""The VEKL application: settings, store, services and the `vekl` command."""
