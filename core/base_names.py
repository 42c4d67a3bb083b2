"""Knowledge base names: the rule every surface and the registry check, and the base today's commands use."""

import re

DEFAULT_BASE = "default"
BASE_NAME_RULE = "1 to 40 lowercase letters, digits, - or _, starting with a letter or a digit"
_BASE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def check_base_name(name: str) -> str:
    """`name` when it follows the rule; ValueError naming it and the rule otherwise."""
    if not isinstance(name, str) or not _BASE_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid knowledge base name: use {BASE_NAME_RULE}")
    return name
