"""cyberhub: a hub where law enforcement and private companies work against cybercrime together."""

__version__ = "0.1.0"
