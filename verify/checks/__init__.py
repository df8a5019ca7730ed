"""One module per theorem check; each public ``check_*`` returns a :class:`verify.CheckResult`."""
