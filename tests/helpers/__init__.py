"""Helpers shared by the tests and scripts (import as ``tests.helpers.<module>``).

models      where the models and text come from (../shared, mistral-common, the bundled text)
hard_cases  hand-written hard inputs and seeded random strings and bytes
parity      differential comparison with the official sentencepiece
cli_helpers run ``python -m spbpe`` and pick models and lines for the CLI tests
mutants     seeded malformed models (also a worker script: python tests/helpers/mutants.py)
minbpe_ref  a plain-Python reference of minbpe's training, encode and files
"""
