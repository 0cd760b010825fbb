"""The core's fixtures (a migrated test database, apps, clients, campaigns): the plugin
is tested the way the core is."""

pytest_plugins = ["evalplatform.testing"]
