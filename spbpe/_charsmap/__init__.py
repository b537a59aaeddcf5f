"""The normalization-rule compiler: rule TSVs and built-in rule names
(``rules.py``) compiled into sentencepiece's ``precompiled_charsmap`` bytes
(``builder.py``) through darts-clone's double-array layout (``darts.py``).
"""
