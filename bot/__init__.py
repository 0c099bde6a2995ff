"""copbot: a Discord bot for communities of practice and learning alliances."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("copbot")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+local"
