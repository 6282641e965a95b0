"""Source adapters: reading the files users bring, declared in ``pipelines/*.yaml``."""
