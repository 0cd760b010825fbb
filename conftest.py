"""The suite's fixtures live in evalplatform.testing, so plugin packages share them."""

pytest_plugins = ["evalplatform.testing"]
