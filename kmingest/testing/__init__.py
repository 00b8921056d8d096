"""Test kits for kmingest, its plugins and new index backends (docs/testing-kits.md). pytest is a
test-time dependency; the library never imports this package.

- embedder.py: a deterministic hashed embedder for tests whose subject is not the model, and the switch
  that gives it to a workspace opened on a config naming it (hashed_cli.py: the same for a child process);
- index_contract.py (cases in index_contract_cases.py, documents in index_corpus.py): the contract every
  IndexBackend passes;
- connector_conformance.py: the conformance suite every connector passes.
"""
