"""The built-in ``flask`` command groups that come through the ``register_commands`` hook,
like a plugin's: ``results`` (show, verify) and ``report``/``jobs`` (documents, the RQ
worker). They sit above the web layer: a command may use any layer."""
