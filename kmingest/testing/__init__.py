"""Test kits for kmingest and its plugins (pytest is a test-time dependency; the library never imports
this package): a deterministic hashed embedder (embedder.py), the index contract every IndexBackend passes
(index_contract.py) and the conformance suite every connector passes (connector_conformance.py)."""
