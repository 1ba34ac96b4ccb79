"""publish-runner: publishes scheduled social-media posts through a real browser."""

from common.errors import PublishRunnerError

__all__ = ["PublishRunnerError", "__version__"]
__version__ = "0.1.0"
