"""Built-in source connectors, each on the SDK in kmingest.connectors (reader + mapper per connector)."""
