"""The publishing API's contract: wire models (`models`) and stable codes (`codes`).

Pydantic only: both programs import it, so it must pull in neither side nor a web framework.
Import as `from contract import models as s`.
"""

from contract import codes, models

__all__ = ["codes", "models"]
