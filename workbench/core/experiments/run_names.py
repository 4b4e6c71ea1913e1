"""Short human names for runs ("brisk-heron-42"): easier to say than a 32-digit id."""

from __future__ import annotations

import secrets

ADJECTIVES = (
    "amber", "bold", "brisk", "calm", "clever", "crisp", "dapper", "eager", "fair", "fleet",
    "gentle", "glad", "grand", "hardy", "jolly", "keen", "lively", "lucid", "mellow", "merry",
    "nimble", "noble", "plucky", "proud", "quick", "quiet", "rapid", "sage", "shy", "sleek",
    "steady", "sunny", "swift", "tidy", "vivid", "warm", "wily", "witty", "young", "zesty",
)
NOUNS = (
    "badger", "bison", "crane", "dingo", "eagle", "falcon", "ferret", "finch", "gecko", "heron",
    "ibis", "jackal", "koala", "lemur", "lynx", "marten", "moose", "newt", "ocelot", "otter",
    "owl", "panda", "puffin", "quail", "raven", "robin", "salmon", "seal", "shrike", "stoat",
    "swan", "tapir", "thrush", "toucan", "trout", "vole", "walrus", "wombat", "wren", "yak",
)


def run_name() -> str:
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(NOUNS)}-{secrets.randbelow(100)}"
